//! PyTorch state dicts in safetensors: what export names and how, the round trip through
//! bytes and through import, and every way a file or a state dict can be wrong (hostile files
//! are errors, never panics or large allocations).

use nn_core::torch::{self, StateDict, Values};
use nn_core::{Loss, Network, Reference, Rng};

fn mlp(seed: u64) -> Network<f32> {
    Network::<f32>::builder(&[4])
        .dense(3)
        .batch_norm()
        .relu()
        .dropout(0.5)
        .dense(2)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut Rng::seed(seed))
        .expect("a valid network")
}

/// A safetensors file of the given header text and data bytes.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

fn error_of(bytes: &[u8]) -> String {
    StateDict::from_bytes(bytes)
        .expect_err("a bad file")
        .to_string()
}

#[test]
fn export_names_every_tensor_as_nn_sequential_does() {
    let exported = torch::export(&mlp(0)).unwrap();
    assert_eq!(
        exported.modules,
        [
            "nn.Linear(4, 3)",
            "nn.BatchNorm1d(3, eps=1e-5, momentum=0.1)",
            "nn.ReLU()",
            "nn.Dropout(p=0.5)",
            "nn.Linear(3, 2)"
        ]
    );
    let names: Vec<(&str, &[usize])> = exported
        .state
        .tensors()
        .iter()
        .map(|t| (t.name.as_str(), t.shape.as_slice()))
        .collect();
    let expected: [(&str, &[usize]); 9] = [
        ("0.weight", &[3, 4]),
        ("0.bias", &[3]),
        ("1.weight", &[3]),
        ("1.bias", &[3]),
        ("1.running_mean", &[3]),
        ("1.running_var", &[3]),
        ("1.num_batches_tracked", &[]),
        ("4.weight", &[2, 3]),
        ("4.bias", &[2]),
    ];
    assert_eq!(names, expected);
    let count = exported.state.get("1.num_batches_tracked").unwrap();
    assert_eq!(count.values, Values::I64(vec![0]));
}

#[test]
fn bytes_and_import_give_back_the_same_network() {
    let mut net = mlp(1);
    // Training moves the running statistics too, so that they travel as well.
    let x = nn_core::Tensor::from_vec(&[6, 4], (0..24).map(|i| (i % 7) as f32 - 3.0).collect())
        .unwrap();
    let y = nn_core::Tensor::from_vec(&[6], vec![0.0, 1.0, 0.0, 1.0, 1.0, 0.0]).unwrap();
    let config = nn_core::FitConfig::new(nn_core::Optimizer::adam(0.01)).iterations(3);
    net.fit(&x, &y, &config, &mut Rng::seed(2)).unwrap();
    let exported = torch::export(&net).unwrap();
    let steps = exported.state.get("1.num_batches_tracked").unwrap();
    assert_eq!(steps.values, Values::I64(vec![3]), "one batch per step");
    let read = StateDict::from_bytes(&exported.state.to_bytes().unwrap()).unwrap();
    assert_eq!(read.len(), exported.state.len());
    for t in exported.state.tensors() {
        assert_eq!(read.get(&t.name), Some(t), "{}", t.name);
    }
    let mut other = mlp(7);
    torch::import(&mut other, &read).unwrap();
    assert_eq!(other.parameters(), net.parameters());
    assert_eq!(
        other.predict_proba(&x).unwrap(),
        net.predict_proba(&x).unwrap()
    );
    assert!(
        other.optimizer_state().is_none(),
        "velocities of old weights are dropped"
    );
}

#[test]
fn f64_networks_export_f64_and_half_precision_files_are_widened() {
    let net = Network::<f64>::builder(&[2])
        .dense(1)
        .loss(Loss::BinaryCrossEntropy)
        .build(Reference, &mut Rng::seed(0))
        .unwrap();
    let exported = torch::export(&net).unwrap();
    assert!(matches!(
        exported.state.get("0.weight").unwrap().values,
        Values::F64(_)
    ));
    // 1.5 and −0.25 in F16 and BF16.
    let f16: Vec<u8> = [1.5f32, -0.25]
        .iter()
        .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
        .collect();
    let bf16: Vec<u8> = [1.5f32, -0.25]
        .iter()
        .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
        .collect();
    let header = r#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]}}"#;
    let data = [f16, bf16].concat();
    let read = StateDict::from_bytes(&file(header, &data)).unwrap();
    assert_eq!(read.get("a").unwrap().values, Values::F32(vec![1.5, -0.25]));
    assert_eq!(read.get("a").unwrap().stored, "F16");
    assert_eq!(read.get("b").unwrap().values, Values::F32(vec![1.5, -0.25]));
    assert_eq!(read.get("b").unwrap().shape, [1, 2]);
}

#[test]
fn hostile_files_are_errors() {
    let good = r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    assert!(StateDict::from_bytes(&file(good, &[0; 8])).is_ok());
    let zip = [b"PK\x03\x04".as_slice(), &[0; 60]].concat();
    let many_bytes = file(
        r#"{"ids":{"dtype":"U8","shape":[65537],"data_offsets":[0,65537]}}"#,
        &[0; 65537],
    );
    let cases: [(&str, Vec<u8>, &str); 11] = [
        ("what torch.save writes", zip, "safetensors.torch.save_file"),
        (
            "a large integer tensor",
            many_bytes,
            "brings the integer values to 65537",
        ),
        ("empty", vec![], "shorter than the 8-byte header length"),
        (
            "a length prefix of 2^40",
            (1u64 << 40).to_le_bytes().to_vec(),
            "more than",
        ),
        (
            "a header past the end",
            file(good, &[0; 8])[..20].to_vec(),
            "the header claims",
        ),
        ("truncated data", file(good, &[0; 7]), "not fully covered"),
        ("padded data", file(good, &[0; 9]), "not fully covered"),
        (
            "a duplicate name",
            file(
                r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
            "names tensor \"w\" twice",
        ),
        (
            "overlapping offsets",
            file(
                r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                &[0; 8],
            ),
            "invalid offset",
        ),
        (
            "a shape larger than its bytes",
            file(
                r#"{"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
            "overflow",
        ),
        (
            "an unsupported dtype",
            file(
                r#"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#,
                &[0; 8],
            ),
            "C64",
        ),
    ];
    for (what, bytes, message) in cases {
        let error = error_of(&bytes);
        eprintln!("{what}: {error}");
        assert!(error.contains(message), "{what}: {error}");
    }
    assert!(error_of(&file("[1, 2]", &[])).contains("not a JSON object"));
}

#[test]
fn import_lists_every_missing_mismatched_and_unexpected_tensor() {
    let exported = torch::export(&mlp(0)).unwrap();
    let mut state = StateDict::new();
    for t in exported.state.tensors() {
        match t.name.as_str() {
            "0.bias" => {}
            "4.weight" => state.push("4.weight", &[3, 2], t.values.clone()).unwrap(),
            "1.weight" => state
                .push("1.weight", &[3], Values::I64(vec![1; 3]))
                .unwrap(),
            "4.bias" => state
                .push("4.bias", &[2], Values::F32(vec![0.0, f32::NAN]))
                .unwrap(),
            _ => state
                .push(t.name.clone(), &t.shape, t.values.clone())
                .unwrap(),
        }
    }
    state
        .push("5.weight", &[1], Values::F32(vec![0.0]))
        .unwrap();
    let mut net = mlp(3);
    let before = net.parameters().into_iter().cloned().collect::<Vec<_>>();
    let error = torch::import(&mut net, &state).unwrap_err().to_string();
    for needle in [
        "missing 0.bias (3,)",
        "4.weight: expected (2, 3), found (3, 2)",
        "1.weight: I64, expected floating-point values",
        "4.bias: value 1 is NaN",
        "unexpected 5.weight (1,)",
    ] {
        assert!(error.contains(needle), "{needle:?} not in: {error}");
    }
    let after: Vec<_> = net.parameters().into_iter().cloned().collect();
    assert_eq!(after, before, "nothing changes unless everything fits");
    // num_batches_tracked may be missing (a state dict without it still loads).
    let mut without = StateDict::new();
    for t in exported
        .state
        .tensors()
        .iter()
        .filter(|t| !t.name.ends_with("tracked"))
    {
        without
            .push(t.name.clone(), &t.shape, t.values.clone())
            .unwrap();
    }
    torch::import(&mut net, &without).unwrap();
}

#[test]
fn reading_refuses_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let error = StateDict::read(dir.path()).unwrap_err().to_string();
    assert!(error.contains("not a regular file"), "{error}");
    let path = dir.path().join("junk.safetensors");
    std::fs::write(&path, b"not safetensors at all").unwrap();
    let error = StateDict::read(&path).unwrap_err().to_string();
    assert!(
        error.contains("junk.safetensors") && error.contains("not a safetensors file"),
        "{error}"
    );
}
