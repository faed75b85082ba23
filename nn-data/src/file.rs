//! Opening data files: regular files only, checked before anything is read, so that a folder,
//! `/dev/zero` (endless), a FIFO (whose `open` blocks until a writer comes) or a socket gives
//! a [`DataError::NotFile`] naming it instead of a hang, an endless read or an odd OS error.

use std::fs::{File, FileType, Metadata};
use std::path::Path;

use crate::DataError;

/// Opens `path` for reading if it is a regular file (symbolic links are followed); returns the
/// file and its length in bytes.
///
/// The kind of file is checked with `stat` before `open` (opening a FIFO would block), and
/// again on the opened handle (in case the path was replaced in between).
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64), DataError> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    check_regular(path, &std::fs::metadata(path).map_err(io)?)?;
    let file = File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    check_regular(path, &metadata)?;
    Ok((file, metadata.len()))
}

/// [`DataError::NotFile`] unless `metadata` is a regular file's.
fn check_regular(path: &Path, metadata: &Metadata) -> Result<(), DataError> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(DataError::NotFile {
            path: path.to_path_buf(),
            found: kind(metadata.file_type()),
        })
    }
}

/// `"a directory"`, `"a character device"`, … for the error message.
fn kind(file_type: FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}
