//! The storage contract suite (`sansftp_storage::contract`), run against every backend of
//! this crate, so `MemoryFs` and `LocalFs` answer every operation with the same result
//! and the same error.

use sansftp::server::User;
use sansftp_storage::contract::{self, Features, Fixture};
use sansftp_storage::{LocalFs, MemoryFs, UploadMode, contract_suite};

fn memory() -> Fixture<MemoryFs> {
    Fixture::new(MemoryFs::new(), User::anonymous())
}

fn local(mode: UploadMode) -> Fixture<LocalFs> {
    let dir = tempfile::tempdir().unwrap();
    let user = User::new("u", "p").base_path(dir.path());
    Fixture::new(LocalFs::new().with_upload_mode(mode), user)
        .features(Features {
            // APPE is O_APPEND on the file itself.
            append_in_place: true,
            ..Features::ALL
        })
        .keep(dir)
}

contract_suite!(memory_fs, memory());
contract_suite!(local_atomic, local(UploadMode::Atomic));

/// `UploadMode::InPlace` writes the target as the bytes come (documented, as vsftpd):
/// every check but the two about atomic uploads.
mod local_in_place {
    use super::*;

    fn fixture() -> Fixture<LocalFs> {
        local(UploadMode::InPlace)
    }

    #[test]
    fn metadata() {
        contract::metadata(fixture())
    }
    #[test]
    fn list() {
        contract::list(fixture())
    }
    #[test]
    fn make_dir() {
        contract::make_dir(fixture())
    }
    #[test]
    fn remove_dir() {
        contract::remove_dir(fixture())
    }
    #[test]
    fn remove_file() {
        contract::remove_file(fixture())
    }
    #[test]
    fn rename() {
        contract::rename(fixture())
    }
    #[test]
    fn read_at_offset() {
        contract::read_at_offset(fixture())
    }
    #[test]
    fn write_modes() {
        contract::write_modes(fixture())
    }
    #[test]
    fn traversal_stays_inside() {
        contract::traversal_stays_inside(fixture())
    }
    #[test]
    fn execute_dispatches() {
        contract::execute_dispatches(fixture())
    }
    #[test]
    fn non_utf8_names() {
        contract::non_utf8_names(fixture())
    }
}
