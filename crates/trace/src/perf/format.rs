//! A tracepoint's id and field layout, parsed from its tracefs `format` file
//! rather than assumed, so a kernel that moves a field still reads right.

use std::collections::HashMap;

const TRACEFS: &str = "/sys/kernel/tracing";

#[derive(Debug, Clone)]
pub(crate) struct Format {
    pub id: u64,
    fields: HashMap<String, (usize, usize)>,
}

impl Format {
    /// Load `events/<system>/<name>/format`, mounting tracefs at
    /// /sys/kernel/tracing first when we are root and it is missing.
    pub(crate) fn load(system: &str, name: &str) -> Result<Format, String> {
        let candidates = [TRACEFS, "/sys/kernel/debug/tracing"];
        let read = || {
            candidates.iter().find_map(|root| {
                std::fs::read_to_string(format!("{root}/events/{system}/{name}/format")).ok()
            })
        };
        let mut text = read();
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if text.is_none() && root && mount_tracefs() {
            text = read();
        }
        let text = text.ok_or_else(|| {
            if root {
                format!("tracepoint {system}:{name} not found in {TRACEFS}")
            } else {
                format!(
                    "{TRACEFS}/events/{system}/{name}/format is not readable (tracefs is root-only)"
                )
            }
        })?;
        Format::parse(&text).ok_or_else(|| format!("cannot parse the format of {system}:{name}"))
    }

    pub(crate) fn parse(text: &str) -> Option<Format> {
        let mut id = None;
        let mut fields = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("ID:") {
                id = v.trim().parse().ok();
            }
            let Some(rest) = line.strip_prefix("field:") else {
                continue;
            };
            // "unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;"
            let mut parts = rest.split(';').map(str::trim);
            let decl = parts.next()?;
            let name = decl.split_whitespace().last()?;
            let name = name.split('[').next()?;
            let mut offset = None;
            let mut size = None;
            for p in parts {
                if let Some(v) = p.strip_prefix("offset:") {
                    offset = v.parse().ok();
                } else if let Some(v) = p.strip_prefix("size:") {
                    size = v.parse().ok();
                }
            }
            fields.insert(name.to_owned(), (offset?, size?));
        }
        Some(Format { id: id?, fields })
    }

    /// Offset and size of a field.
    pub(crate) fn field(&self, name: &str) -> Result<(usize, usize), String> {
        self.fields
            .get(name)
            .copied()
            .ok_or_else(|| format!("tracepoint field {name} missing"))
    }
}

fn mount_tracefs() -> bool {
    let c = |s: &str| std::ffi::CString::new(s).expect("no NUL in a literal");
    let (src, target, fstype) = (c("nodev"), c(TRACEFS), c("tracefs"));
    // SAFETY: NUL-terminated strings that outlive the call; no data.
    unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sys_enter_layout() {
        let text = "name: sys_enter\nID: 22\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\n\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n";
        let f = Format::parse(text).unwrap();
        assert_eq!(f.id, 22);
        assert_eq!(f.field("id").unwrap(), (8, 8));
        assert_eq!(f.field("args").unwrap(), (16, 48));
        assert!(f.field("ret").is_err());
    }
}
