//! Compiles `proto/` with protox (pure Rust), so that no system `protoc` is needed.
fn main() {
    let proto_root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../proto");
    let files = ["tx.proto", "block.proto", "oracle.proto", "sensor.proto"]
        .map(|f| format!("{proto_root}/plexus/v1/{f}"));
    println!("cargo:rerun-if-changed={proto_root}");
    let descriptors = protox::compile(&files, [proto_root]).expect("proto files compile");
    prost_build::Config::new()
        .compile_fds(descriptors)
        .expect("prost code generation succeeds");
}
