//! The parts of the `nn` command that decode what a user hands it, as a library, so that the
//! fuzz targets (`fuzz/`) and the replay test (`nn-fuzz`) run the same code as the command.

pub mod model_file;
