//! The playground's state and its JSON protocol: a step of the page's network is a step of
//! the same network built with the library; commands change what they say and nothing more.

use base64::Engine;
use nn_core::{FitConfig, Loss, Network, Optimizer, Rng, Tensor};
use nn_data::synthetic::{self, Playground};
use nn_playground::frame::{NEURON_SIDE, OUTPUT_SIDE};
use nn_playground::session::{INIT_BIAS, INIT_WEIGHT_RANGE};
use nn_playground::{Command, Frame, Session, Settings, Trainer};
use nn_simd::Simd;
use serde_json::{json, Value};

fn command(text: &str) -> Command {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn params(net: &Network<f32>) -> Vec<Vec<f32>> {
    net.parameters().iter().map(|p| p.data().to_vec()).collect()
}

/// The XOR exercise of the lectures, built again from the library's parts by the documented
/// rules: the data from the seed, split at 50 %, labels ±1; the original's initial weights
/// from the seed mixed with the weight stream; one hidden tanh neuron, a tanh output, the
/// squared error, gradient descent at 0.03 in batches of 10 in order.
#[test]
fn a_step_of_the_page_is_a_step_of_the_library() {
    let settings =
        Settings::from_query("dataset=xor&noise=50&percTrainData=50&networkShape=1&seed=5")
            .unwrap();
    let mut trainer = Trainer::new(settings.clone(), std::env::temp_dir().as_path()).unwrap();

    let mut rng = Rng::seed(5);
    let data = synthetic::playground(Playground::Xor, 500, 0.5, &mut rng);
    let (train, _) = data.split(0.5, &mut rng).unwrap();
    let y: Vec<f32> = train
        .labels()
        .unwrap()
        .iter()
        .map(|&l| if l == 1 { 1.0 } else { -1.0 })
        .collect();
    let y = Tensor::from_vec(&[train.len(), 1], y).unwrap();
    let mut net = Network::<f32>::builder(&[2])
        .dense(1)
        .tanh()
        .dense(1)
        .tanh()
        .loss(Loss::MeanSquaredError)
        .build(Simd::new(), &mut Rng::seed(0))
        .unwrap();
    let mut init = Rng::seed(5 ^ 0x9E37_79B9_7F4A_7C15);
    for (i, len) in [2usize, 1, 1, 1].into_iter().enumerate() {
        let values: Vec<f32> = if i % 2 == 0 {
            (0..len)
                .map(|_| init.uniform(-INIT_WEIGHT_RANGE, INIT_WEIGHT_RANGE))
                .collect()
        } else {
            vec![INIT_BIAS; len]
        };
        net.set_parameter(i, &values).unwrap();
    }
    assert_eq!(
        params(trainer.session().network()),
        params(&net),
        "the initial weights"
    );
    assert_eq!(
        trainer.session().train().x.data(),
        train.x().data(),
        "the training points"
    );

    let config = FitConfig::new(Optimizer::gradient_descent(0.03))
        .epochs(1)
        .batch_size(10)
        .shuffle(false);
    for epoch in 1..=3 {
        let state = trainer.handle(command(r#"{"cmd": "step"}"#)).unwrap();
        net.fit(train.x(), &y, &config, &mut Rng::seed(0)).unwrap();
        assert_eq!(state["epoch"], json!(epoch));
        assert_eq!(
            params(trainer.session().network()),
            params(&net),
            "epoch {epoch}"
        );
        let loss = net.evaluate(train.x(), &y).unwrap().loss;
        assert_eq!(trainer.session().history().last().unwrap().train_loss, loss);
    }
}

#[test]
fn commands_are_json_and_bad_ones_are_refused() {
    assert_eq!(command(r#"{"cmd": "play"}"#), Command::Play);
    assert_eq!(
        command(r#"{"cmd": "weight", "layer": 1, "to": 0, "from": null, "value": 0.5}"#),
        Command::Weight {
            layer: 1,
            to: 0,
            from: None,
            value: 0.5
        }
    );
    assert_eq!(
        command(r#"{"cmd": "save", "name": "a"}"#),
        Command::Save {
            name: "a".into(),
            overwrite: false
        }
    );
    for bad in [
        r#"{"cmd": "fly"}"#,
        r#"{"cmd": "settings"}"#,
        r#"{"cmd": "open", "query": "", "extra": 1}"#,
        r#"{"cmd": "weight", "layer": 0, "to": 0, "from": 0, "value": "big"}"#,
        "[]",
    ] {
        assert!(serde_json::from_str::<Command>(bad).is_err(), "{bad}");
    }
    let mut trainer = Trainer::new(Settings::default(), std::env::temp_dir().as_path()).unwrap();
    let err = trainer
        .handle(command(r#"{"cmd": "settings", "query": "noise=80"}"#))
        .unwrap_err();
    assert_eq!(err, "noise must be from 0 to 50, got 80");
    let err = trainer
        .handle(command(
            r#"{"cmd": "weight", "layer": 5, "to": 0, "from": 0, "value": 1}"#,
        ))
        .unwrap_err();
    assert!(err.contains("no layer of links 5"), "{err}");
    let err = trainer
        .handle(command(
            r#"{"cmd": "weight", "layer": 0, "to": 9, "from": 0, "value": 1}"#,
        ))
        .unwrap_err();
    assert!(err.contains("no such link"), "{err}");
    for pace in ["-1", "1e-300", "0", "1e9"] {
        let text = format!(r#"{{"cmd": "speed", "epochs_per_second": {pace}}}"#);
        let err = trainer.handle(command(&text)).unwrap_err();
        assert!(err.contains("from 0.1 to 10000"), "{pace}: {err}");
    }
    let err = trainer
        .handle(command(
            r#"{"cmd": "weight", "layer": 9223372036854775808, "to": 0, "from": 0, "value": 1}"#,
        ))
        .unwrap_err();
    assert!(err.contains("no layer of links"), "{err}");
    assert_eq!(
        trainer.session().settings(),
        &Settings::default(),
        "unchanged by refusals"
    );
}

#[test]
fn settings_change_training_or_start_again_as_in_the_original() {
    let mut trainer = Trainer::new(Settings::default(), std::env::temp_dir().as_path()).unwrap();
    for _ in 0..3 {
        trainer.handle(Command::Step).unwrap();
    }
    let trained = params(trainer.session().network());
    let query = |t: &Trainer| t.session().settings().to_query();
    // The learning rate, the regularisation, the optimiser, the drawing: training goes on.
    let q = query(&trainer)
        .replace("learningRate=0.03", "learningRate=0.1")
        .replace("showTestData=false", "showTestData=true");
    let state = trainer
        .handle(Command::Settings { query: q.clone() })
        .unwrap();
    assert_eq!(
        (state["epoch"].clone(), state["query"].clone()),
        (json!(3), json!(q))
    );
    assert_eq!(params(trainer.session().network()), trained);
    // The network's shape: epoch 0 and the initial weights again.
    let q = query(&trainer).replace("networkShape=4,2", "networkShape=3");
    let state = trainer.handle(Command::Settings { query: q }).unwrap();
    assert_eq!(state["epoch"], json!(0));
    assert_eq!(trainer.session().network().parameters()[0].shape(), [3, 2]);
    assert!(!trainer.session().edited());
    // Changed training after the first epoch: `nn train` would only approximate it.
    trainer.handle(Command::Step).unwrap();
    let q = query(&trainer).replace("optimizer=sgd", "optimizer=adam");
    let state = trainer.handle(Command::Settings { query: q }).unwrap();
    assert_eq!(state["edited"], json!(true));
    // Regression ignores the classification set and the other way round: no restart.
    let q = query(&trainer).replace("problem=classification", "problem=regression");
    trainer.handle(Command::Settings { query: q }).unwrap();
    trainer.handle(Command::Step).unwrap();
    let q = query(&trainer).replace("dataset=circle", "dataset=spiral");
    trainer.handle(Command::Play).unwrap();
    let state = trainer.handle(Command::Settings { query: q }).unwrap();
    assert_eq!(
        (state["epoch"].clone(), state["playing"].clone()),
        (json!(1), json!(true))
    );
    let q = query(&trainer).replace("problem=regression", "problem=classification");
    let state = trainer.handle(Command::Settings { query: q }).unwrap();
    assert_eq!(
        (state["epoch"].clone(), state["playing"].clone()),
        (json!(0), json!(false)),
        "a restart pauses"
    );
    let q = query(&trainer)
        .replace("dataset=spiral", "dataset=circle")
        .replace("optimizer=adam", "optimizer=sgd");
    trainer.handle(Command::Settings { query: q }).unwrap();
    // Reset puts back the same initial weights; open starts a link afresh, paused.
    let start = params(trainer.session().network());
    trainer.handle(Command::Play).unwrap();
    trainer.handle(Command::Step).unwrap();
    assert!(!trainer.playing(), "a single step pauses");
    assert_ne!(params(trainer.session().network()), start);
    trainer.handle(Command::Play).unwrap();
    let state = trainer.handle(Command::Reset).unwrap();
    assert_eq!(state["playing"], json!(false), "reset pauses");
    assert_eq!(params(trainer.session().network()), start);
    let link = query(&trainer);
    trainer.handle(Command::Step).unwrap();
    trainer.handle(Command::Open { query: link }).unwrap();
    assert_eq!(
        params(trainer.session().network()),
        start,
        "a link reproduces the exercise"
    );
    // Regenerate: the next seed, other points.
    let before = trainer.session().train().points.data().to_vec();
    let state = trainer.handle(Command::Regenerate).unwrap();
    assert_eq!(state["settings"]["seed"], json!(2));
    assert_ne!(trainer.session().train().points.data(), before.as_slice());
}

#[test]
fn a_long_run_keeps_a_bounded_history() {
    let settings = Settings::from_query("networkShape=1&batchSize=30").unwrap();
    let mut session = Session::new(settings).unwrap();
    let limit = nn_playground::session::MAX_RECORDS;
    for _ in 0..limit + 10 {
        session.step().unwrap();
    }
    let history = session.history();
    assert!(history.len() <= limit, "{}", history.len());
    assert_eq!(history[0].epoch, 0);
    assert_eq!(
        history.last().unwrap().epoch,
        limit + 10,
        "the latest is kept"
    );
    let frame = Frame::of(&session).unwrap();
    assert_eq!(frame.chart.len(), nn_playground::frame::MAX_CHART);
    assert_eq!(frame.chart.last().unwrap()[0], (limit + 10) as f32);
}

#[test]
fn a_weight_set_by_the_page_is_the_networks() {
    let mut trainer = Trainer::new(Settings::default(), std::env::temp_dir().as_path()).unwrap();
    trainer
        .handle(command(
            r#"{"cmd": "weight", "layer": 1, "to": 1, "from": 3, "value": -2.5}"#,
        ))
        .unwrap();
    trainer
        .handle(command(
            r#"{"cmd": "weight", "layer": 2, "to": 0, "from": null, "value": 0.75}"#,
        ))
        .unwrap();
    let frame = Frame::of(trainer.session()).unwrap();
    assert_eq!(frame.weights[1][1][3], -2.5);
    assert_eq!(frame.biases[2][0], 0.75);
    let net = trainer.session().network();
    assert_eq!(
        net.parameters()[2].data()[4 + 3],
        -2.5,
        "W of layer 2 is (2, 4), row 1, column 3"
    );
    assert_eq!(net.parameters()[5].data(), [0.75]);
}

fn decoded(b64: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[test]
fn a_frame_holds_every_map_and_link() {
    let session =
        Session::new(Settings::from_query("networkShape=3,2&sinX=true").unwrap()).unwrap();
    let frame = Frame::of(&session).unwrap();
    assert_eq!(decoded(&frame.output).len(), OUTPUT_SIDE * OUTPUT_SIDE);
    assert!(frame.output_classes.is_none());
    let counts: Vec<usize> = frame.neurons.iter().map(Vec::len).collect();
    assert_eq!(counts, [3, 3, 2, 1], "features, hidden layers, output");
    for map in frame.neurons.iter().flatten() {
        assert_eq!(decoded(map).len(), NEURON_SIDE * NEURON_SIDE);
    }
    // x₁'s map runs from −1 at the left to +1 at the right (scaled), the same in every row.
    let x1 = decoded(&frame.neurons[0][0]);
    assert!(
        x1[0] < 10 && x1[NEURON_SIDE - 1] > 245,
        "{} {}",
        x1[0],
        x1[NEURON_SIDE - 1]
    );
    assert_eq!(x1[..NEURON_SIDE], x1[NEURON_SIDE..2 * NEURON_SIDE]);
    let shapes: Vec<(usize, usize)> = frame
        .weights
        .iter()
        .map(|w| (w.len(), w[0].len()))
        .collect();
    assert_eq!(shapes, [(3, 3), (2, 3), (1, 2)]);
    // The output map is the network's output on the grid.
    let grid = nn_playground::frame::grid_points(OUTPUT_SIDE);
    let x = nn_data::synthetic::expand_points(&grid, &session.settings().features).unwrap();
    let out = session.network().predict_proba(&x).unwrap();
    let bytes = decoded(&frame.output);
    for i in [0, 4321, OUTPUT_SIDE * OUTPUT_SIDE - 1] {
        let v = out.data()[i];
        assert!(
            ((bytes[i] as f32 / 127.5 - 1.0) - v).abs() <= 1.0 / 127.5,
            "point {i}: {v}"
        );
    }
    // More classes: the winners too.
    let many =
        Session::new(Settings::from_query("dataset=spiral&classes=4&loss=cross_entropy").unwrap())
            .unwrap();
    let frame = Frame::of(&many).unwrap();
    let winners = decoded(frame.output_classes.as_ref().unwrap());
    assert!(winners.iter().all(|&w| w < 4));
    assert_eq!(frame.neurons.last().unwrap().len(), 4);
}

#[test]
fn regression_and_cross_entropy_train_and_report_their_loss() {
    for query in [
        "problem=regression&regDataset=reg-gauss&networkShape=8,8&learningRate=0.01",
        "dataset=gauss&loss=cross_entropy&optimizer=adam&learningRate=0.01&regularization=L2&regularizationRate=0.001",
        "dataset=spiral&classes=3&loss=cross_entropy&optimizer=momentum&regularization=L1&regularizationRate=0.001",
    ] {
        let mut session = Session::new(Settings::from_query(query).unwrap()).unwrap();
        let first = session.history()[0].train_loss;
        for _ in 0..30 {
            session.step().unwrap();
        }
        let last = session.history().last().unwrap();
        assert!(last.train_loss < first, "{query}: {first} → {}", last.train_loss);
        assert_eq!(last.epoch, 30);
        assert_eq!(last.test_accuracy.is_some(), !query.starts_with("problem=regression"));
        let check = session.gradient_check().unwrap();
        for t in &check.tensors {
            assert!(nn_playground::trainer::tensor_passes(t), "{query}: {t:?}");
        }
    }
}

#[test]
fn save_writes_a_model_the_library_opens_and_keeps_what_exists() {
    let folder = tempfile::tempdir().unwrap();
    let query = "dataset=xor&xTimesY=true&networkShape=2";
    let mut trainer = Trainer::new(Settings::from_query(query).unwrap(), folder.path()).unwrap();
    trainer.handle(Command::Step).unwrap();
    let saved: Value = trainer
        .handle(command(r#"{"cmd": "save", "name": "xor"}"#))
        .unwrap();
    assert_eq!(saved["file"], json!("xor.nn"));
    let path = folder.path().join("xor.nn");
    let trained = nn_data::model::open(
        &path,
        nn_core::Reference,
        &nn_core::layer::LayerRegistry::core(),
    )
    .unwrap();
    assert_eq!(trained.network.input_shape(), [3]);
    assert_eq!(
        params(&trained.network),
        params(trainer.session().network())
    );
    let err = trainer
        .handle(command(r#"{"cmd": "save", "name": "xor.nn"}"#))
        .unwrap_err();
    assert!(err.contains("exists"), "{err}");
    trainer
        .handle(command(
            r#"{"cmd": "save", "name": "xor.nn", "overwrite": true}"#,
        ))
        .unwrap();
    for bad in ["../up", "", ".hidden", "a/b", "x y"] {
        let err = trainer
            .handle(Command::Save {
                name: bad.into(),
                overwrite: true,
            })
            .unwrap_err();
        assert!(err.contains("is not a model name"), "{bad}: {err}");
    }
    let files: Vec<_> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["xor.nn"], "nothing else written");
}

/// The server answers its own pages only: another `Host` (DNS rebinding) or `Origin` (a page
/// elsewhere) gets 403.
#[test]
fn the_server_answers_only_its_own_host() {
    use std::io::{Read, Write};
    let (tx, rx) = std::sync::mpsc::channel();
    let folder = std::env::temp_dir();
    std::thread::spawn(move || {
        let options = nn_playground::ServeOptions {
            port: 0,
            folder,
            settings: Settings::default(),
        };
        nn_playground::serve(options, |address| tx.send(address).unwrap()).unwrap();
    });
    let address = rx.recv().unwrap();
    let ask = |request: String| {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let host = format!("127.0.0.1:{}", address.port());
    let get = |path: &str, host: &str| {
        ask(format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ))
    };
    let page = get("/", &host);
    assert!(page.starts_with("HTTP/1.1 200"));
    let page = page.to_ascii_lowercase();
    assert!(page.contains("x-frame-options: deny"), "{page}");
    assert!(page.contains("content-security-policy: frame-ancestors 'none'"));
    assert!(get("/app.js", &format!("localhost:{}", address.port())).starts_with("HTTP/1.1 200"));
    assert!(get("/", "evil.example").starts_with("HTTP/1.1 403"));
    let body = r#"{"cmd":"step"}"#;
    let post = |origin: &str| {
        ask(format!(
            "POST /api/command HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
    };
    assert!(post("http://evil.example").starts_with("HTTP/1.1 403"));
    let answer = post(&format!("http://{host}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""epoch":1"#), "{answer}");
}
