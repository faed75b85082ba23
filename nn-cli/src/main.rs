//! `nn`: the command that runs experiments. Its commands (train, eval, predict, gradcheck,
//! info) are issue #6; until then it says so and exits with an error, rather than pretend.

fn main() {
    eprintln!("nn: no commands yet (issue #6); see the README for what works today");
    std::process::exit(2);
}
