//! Opening the listening sockets: one TCP listener per `bind` address and an optional unix
//! socket that is never reachable by others, not even for an instant.

use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::{TcpListener, TcpSocket, UnixListener};

/// Binds one TCP listener. A `-` prefix (as Redis) makes the address optional: if it cannot be
/// bound (say, no IPv6), `Ok(None)` is returned and the caller logs it.
pub(crate) fn bind_tcp(spec: &str, port: u16, backlog: u32) -> io::Result<Option<TcpListener>> {
    let (optional, host) = match spec.strip_prefix('-') {
        Some(h) => (true, h),
        None => (false, spec),
    };
    let ip: std::net::IpAddr = match host {
        "*" => "0.0.0.0".parse().expect("literal address"),
        "::*" => "::".parse().expect("literal address"),
        h => {
            h.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("invalid bind address '{h}'")))?
        }
    };
    let addr = SocketAddr::new(ip, port);
    let result = (|| {
        let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(backlog)
    })();
    match result {
        Ok(l) => Ok(Some(l)),
        Err(e) if optional && matches!(e.kind(), io::ErrorKind::AddrNotAvailable | io::ErrorKind::Unsupported) => {
            Ok(None)
        }
        Err(e) if optional && e.raw_os_error() == Some(libc::EAFNOSUPPORT) => Ok(None),
        Err(e) => Err(io::Error::new(e.kind(), format!("could not bind {addr}: {e}"))),
    }
}

/// Binds the unix socket at `path` with mode `perm`. The socket is created inside a fresh
/// 0700 directory, given its mode there, and only then renamed into place, so it is never
/// reachable with looser permissions. A stale socket left by a crash (one whose connect is
/// refused: nobody listens) is replaced; a live one, one that cannot be probed, and any other
/// kind of file at the path are errors.
pub(crate) fn bind_unix(path: &Path, perm: u32) -> io::Result<UnixListener> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !meta.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket; refusing to replace it", path.display()),
            ));
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} is in use by a running server", path.display()),
                ))
            }
            // Stale: a socket file nobody listens on (a crash left it).
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
            // Not ours to judge (no permission to connect, say): leave it alone.
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{} exists and cannot be probed ({e}); refusing to replace it", path.display()),
                ))
            }
        }
        std::fs::remove_file(path)?;
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let staging: PathBuf = parent.join(format!(".redoubt-sock-{}-{}", std::process::id(), fastrand_suffix()));
    std::fs::DirBuilder::new().mode(0o700).create(&staging)?;
    let staged = staging.join("s");
    let result = (|| {
        let listener = UnixListener::bind(&staged)?;
        std::fs::set_permissions(&staged, std::fs::Permissions::from_mode(perm))?;
        std::fs::rename(&staged, path)?;
        Ok(listener)
    })();
    let _ = std::fs::remove_file(&staged);
    let _ = std::fs::remove_dir(&staging);
    result
}

fn fastrand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos() as u64).unwrap_or(0)
}
