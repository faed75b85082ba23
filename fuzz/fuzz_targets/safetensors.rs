#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    nn_fuzz::safetensors(bytes);
});
