//! A minimal QMP client: asks a running QEMU what it emulates.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Result;

/// Runs one QMP command and returns its `return` value.
pub fn query(socket: &Path, command: &str) -> Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match UnixStream::connect(socket) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => {
                return Err(format!("QMP {}: {e}", socket.display()));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut w = stream.try_clone().map_err(|e| e.to_string())?;
    let mut r = BufReader::new(stream);
    let mut read = || -> Result<Value> {
        // Skip asynchronous events; answers carry "return" or "error".
        for _ in 0..64 {
            let mut line = String::new();
            if r.read_line(&mut line)
                .map_err(|e| format!("QMP read: {e}"))?
                == 0
            {
                return Err("QMP closed".into());
            }
            let v: Value = serde_json::from_str(&line).map_err(|e| format!("QMP: {e}"))?;
            if v.get("event").is_none() {
                return Ok(v);
            }
        }
        Err("QMP: no answer".into())
    };
    read()?; // greeting
    writeln!(w, r#"{{"execute":"qmp_capabilities"}}"#).map_err(|e| e.to_string())?;
    read()?;
    writeln!(w, r#"{{"execute":"{command}"}}"#).map_err(|e| e.to_string())?;
    let v = read()?;
    v.get("return")
        .cloned()
        .ok_or_else(|| format!("QMP {command}: {v}"))
}

/// One function as QEMU reports it: (bus, slot, function, class, vendor, device).
pub type PciFunction = (u64, u64, u64, u64, u64, u64);

/// Every PCI function QEMU emulates, behind bridges too.
pub fn pci_functions(socket: &Path) -> Result<Vec<PciFunction>> {
    fn walk(devices: &[Value], out: &mut Vec<PciFunction>) {
        for d in devices {
            let n = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(u64::MAX);
            let class = d.get("class_info").map_or(u64::MAX, |c| n(c, "class"));
            let id = d.get("id").cloned().unwrap_or(Value::Null);
            out.push((
                n(d, "bus"),
                n(d, "slot"),
                n(d, "function"),
                class,
                n(&id, "vendor"),
                n(&id, "device"),
            ));
            if let Some(sub) = d
                .get("pci_bridge")
                .and_then(|b| b.get("devices"))
                .and_then(Value::as_array)
            {
                walk(sub, out);
            }
        }
    }
    let buses = query(socket, "query-pci")?;
    let mut out = Vec::new();
    for bus in buses.as_array().into_iter().flatten() {
        if let Some(devices) = bus.get("devices").and_then(Value::as_array) {
            walk(devices, &mut out);
        }
    }
    Ok(out)
}
