//! Convolutional networks as PyTorch state dicts: convolution weights channels first, the
//! first dense layer after a flatten re-ordered to PyTorch's `(c, h, w)` features, batch
//! norm over channels, and the round trip back.

use nn_conv::{Conv2dConfig, ConvLayers, Padding};
use nn_core::torch::{self, channels_first_order, Values};
use nn_core::{Loss, Network, Reference, Rng, Tensor};

fn cnn(seed: u64) -> Network<f32> {
    Network::<f32>::builder(&[6, 5, 3])
        .conv2d(4, 3, Padding::Same)
        .batch_norm()
        .relu()
        .conv2d_with(Conv2dConfig {
            stride: [2, 1],
            ..Conv2dConfig::new(2, 2, Padding::Same)
        })
        .max_pool_with([1, 2], [1, 2])
        .flatten()
        .batch_norm()
        .dense(3)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut Rng::seed(seed))
        .unwrap()
}

fn floats(values: &Values) -> &[f32] {
    match values {
        Values::F32(v) => v,
        other => panic!("expected F32, got {}", other.dtype_name()),
    }
}

#[test]
fn modules_and_layouts_are_pytorchs() {
    let net = cnn(0);
    let exported = torch::export(&net).unwrap();
    assert_eq!(
        exported.modules,
        [
            "nn.Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
            "nn.BatchNorm2d(4, eps=1e-5, momentum=0.1)",
            "nn.ReLU()",
            // "same" with an even kernel: one more column on the right; rows of 6 at stride 2
            // need none.
            "PadConv2d(4, 2, kernel_size=(2, 2), stride=(2, 1), pad=(0, 1, 0, 0))",
            "nn.MaxPool2d(kernel_size=(1, 2), stride=(1, 2))",
            "nn.Flatten()",
            "nn.BatchNorm1d(12, eps=1e-5, momentum=0.1)",
            "nn.Linear(12, 3)",
        ]
    );
    let state = &exported.state;
    // Conv weights: ours (F, kh, kw, C), PyTorch's (F, C, kh, kw).
    let w = state.get("0.weight").unwrap();
    assert_eq!(w.shape, [4, 3, 3, 3]);
    let ours = net.layers()[0].params()[0];
    let (f, c, y, x) = (3, 2, 1, 0);
    assert_eq!(
        floats(&w.values)[((f * 3 + c) * 3 + y) * 3 + x],
        ours.data()[((f * 3 + y) * 3 + x) * 3 + c]
    );
    // After the flatten of (3, 2, 2) volumes: PyTorch's feature j is our order[j].
    let order = channels_first_order(3, 2, 2);
    let dense = state.get("7.weight").unwrap();
    let ours = net.layers()[7].params()[0];
    for unit in 0..3 {
        for (j, &k) in order.iter().enumerate() {
            assert_eq!(
                floats(&dense.values)[unit * 12 + j],
                ours.data()[unit * 12 + k]
            );
        }
    }
    let running_var = state.get("6.running_var").unwrap();
    assert_eq!(running_var.shape, [12]);
}

#[test]
fn a_cnn_comes_back_with_the_same_predictions() {
    let mut net = cnn(1);
    let x = Tensor::from_vec(
        &[5, 6, 5, 3],
        (0..450)
            .map(|i| ((i * 37) % 17) as f32 / 8.0 - 1.0)
            .collect(),
    )
    .unwrap();
    let y = Tensor::from_vec(&[5], vec![0.0, 1.0, 2.0, 1.0, 0.0]).unwrap();
    let config = nn_core::FitConfig::new(nn_core::Optimizer::adam(0.01)).iterations(4);
    net.fit(&x, &y, &config, &mut Rng::seed(0)).unwrap();
    let exported = torch::export(&net).unwrap();
    // The batch norm after the flatten: its vectors in PyTorch's feature order, on a trained
    // network, where no two of them are alike.
    let order = channels_first_order(3, 2, 2);
    let ours = net.layers()[6].buffers()[0].data().to_vec();
    let theirs = floats(&exported.state.get("6.running_mean").unwrap().values).to_vec();
    assert!(ours.windows(2).all(|p| p[0] != p[1]), "{ours:?}");
    let reordered: Vec<f32> = order.iter().map(|&k| ours[k]).collect();
    assert_eq!(theirs, reordered);
    let bytes = exported.state.to_bytes().unwrap();
    let state = torch::StateDict::from_bytes(&bytes).unwrap();
    let mut other = cnn(2);
    torch::import(&mut other, &state).unwrap();
    let all = |n: &Network<f32>| -> Vec<Tensor<f32>> {
        n.layers()
            .iter()
            .flat_map(|l| l.params().into_iter().chain(l.buffers()).cloned())
            .collect()
    };
    assert_eq!(all(&other), all(&net));
    assert_eq!(
        other.predict_proba(&x).unwrap(),
        net.predict_proba(&x).unwrap()
    );
}

#[test]
fn a_network_ending_in_flattened_volumes_is_refused() {
    let net = Network::<f32>::builder(&[2, 2, 3])
        .flatten()
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut Rng::seed(0))
        .unwrap();
    let error = torch::export(&net).unwrap_err().to_string();
    assert!(error.contains("flattened from (2, 2, 3)"), "{error}");
}

#[test]
fn a_network_ending_in_volumes_is_refused_and_a_second_flatten_changes_nothing() {
    let net = Network::<f32>::builder(&[4, 4, 1])
        .conv2d(2, 3, Padding::Same)
        .max_pool(2)
        .loss(Loss::CategoricalCrossEntropy)
        .build(Reference, &mut Rng::seed(0))
        .unwrap();
    let error = torch::export(&net).unwrap_err().to_string();
    assert!(
        error.contains("ends with examples of shape [2, 2, 2]"),
        "{error}"
    );
    let build = |flattens: usize| {
        let mut b = Network::<f32>::builder(&[2, 2, 3]);
        for _ in 0..flattens {
            b = b.flatten();
        }
        b.dense(2)
            .loss(Loss::CategoricalCrossEntropy)
            .build(Reference, &mut Rng::seed(4))
            .unwrap()
    };
    let once = torch::export(&build(1)).unwrap().state;
    let twice = torch::export(&build(2)).unwrap().state;
    assert_eq!(
        once.get("1.weight").unwrap().values,
        twice.get("2.weight").unwrap().values
    );
}
