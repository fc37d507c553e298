//! CONFIG REWRITE: writes the running configuration back into the config file the server
//! started from (`redoubt_config::Config::rewrite_text` decides the text).
//!
//! The file is replaced atomically and stays private (0600): it is written to a temporary
//! file in the same directory, fsynced, renamed over the old one, and the directory fsynced,
//! so a crash leaves either the old file or the new one. Without an `aclfile`, the users are
//! written as `user` lines (passwords as hashes only), as Redis does.

use crate::context::{CmdError, CmdResult, Ctx};
use std::io::Write as _;

/// CONFIG REWRITE
pub(crate) fn config_rewrite(ctx: &mut Ctx<'_>) -> CmdResult {
    let config = ctx.engine.config();
    let Some(path) = config.config_file.clone() else {
        return Err(CmdError::raw("ERR The server is running without a config file"));
    };
    let failed = |e: std::io::Error| CmdError::err(format!("Rewriting config file: {e}"));
    let old = std::fs::read_to_string(&path).map_err(failed)?;
    let aclfile_set = config.value("aclfile").is_some_and(|v| !v.is_empty());
    let users = if aclfile_set { None } else { ctx.engine.gate().map(|g| g.user_lines()) };
    let text = config.rewrite_text(&old, users.as_deref());
    drop(config);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return Err(CmdError::err(format!("Rewriting config file: bad path {}", path.display())));
    };
    redoubt_persist::write_atomically(dir, name, |w| w.write_all(text.as_bytes())).map_err(failed)?;
    tracing::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}
