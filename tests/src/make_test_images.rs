//! Builds the images of the integration tests: `make-test-images DIR`.

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "test-images".to_string());
    virt_tools_tests::images::test_images(std::path::Path::new(&dir));
    println!("{}", dir);
}
