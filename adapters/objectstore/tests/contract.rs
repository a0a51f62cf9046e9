//! The storage contract suite of `sansftp-storage`, run against `ObjectStoreFs` on a
//! real S3 server (moto) on loopback; each check in a key prefix of its own.

mod support;

use sansftp::server::User;
use sansftp_objectstore::ObjectStoreFs;
use sansftp_storage::contract::{Features, Fixture};
use sansftp_storage::contract_suite;

const BUCKET: &str = "sansftp-contract";

fn s3() -> Option<Fixture<ObjectStoreFs>> {
    let endpoint = support::endpoint()?;
    support::ensure_bucket(&endpoint, BUCKET);
    let store = support::s3(&endpoint, BUCKET);
    let fs = ObjectStoreFs::new(store, &support::unique_prefix("contract")).unwrap();
    let features = Features {
        append: false,
        append_in_place: false,
        rename_dirs: false,
    };
    Some(Fixture::new(fs, User::anonymous()).features(features))
}

contract_suite!(object_store_s3, s3());
