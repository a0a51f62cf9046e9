//! Which [`StorageError`] (and so which reply) each object store error is.

use sansftp::server::StorageError;

/// The storage error for `e`: a missing object is `NotFound` (`550`), an existing one
/// where none may be (a conditional PUT's `412`) `AlreadyExists`, a refused request
/// `PermissionDenied` (`550`), an operation the store lacks `Unsupported` (`502`), and
/// anything else (the network, the server) `Other` (`451`) with the error's one line.
/// The line names the bucket and key at most: requests are signed in headers, which no
/// error carries, so no credential reaches a reply or a log.
pub fn storage_error(e: object_store::Error) -> StorageError {
    use object_store::Error as E;
    match e {
        E::NotFound { .. } => StorageError::NotFound,
        E::AlreadyExists { .. } | E::Precondition { .. } => StorageError::AlreadyExists,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => StorageError::PermissionDenied,
        E::NotSupported { .. } | E::NotImplemented { .. } => {
            StorageError::Unsupported(e.to_string())
        }
        other => StorageError::Other(format!("object store: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_reply_they_deserve() {
        let source = || "boom".into();
        let path = || "b/k".to_string();
        let map = |e| storage_error(e);
        use object_store::Error as E;
        assert_eq!(
            map(E::NotFound {
                path: path(),
                source: source()
            }),
            StorageError::NotFound
        );
        assert_eq!(
            map(E::Precondition {
                path: path(),
                source: source()
            }),
            StorageError::AlreadyExists
        );
        assert_eq!(
            map(E::Unauthenticated {
                path: path(),
                source: source()
            }),
            StorageError::PermissionDenied
        );
        assert!(matches!(
            map(E::NotSupported { source: source() }),
            StorageError::Unsupported(_)
        ));
        let other = map(E::Generic {
            store: "S3",
            source: source(),
        });
        assert_eq!(
            other,
            StorageError::Other("object store: Generic S3 error: boom".into())
        );
    }
}
