//! Uploads and downloads of files and whole directory trees.
