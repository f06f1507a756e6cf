//! What the binary embeds besides the scenarios for the engine's use: the
//! lesson programs' sources, which a `program` step finds under `{assets}`.
//! Embedded so that `cargo install` keeps them (no path to the checkout).

/// `assets/programs/...`, as (path under `assets/`, contents).
pub static PROGRAMS: &[(&str, &[u8])] = &[
    (
        "programs/README.md",
        include_bytes!("../../../assets/programs/README.md"),
    ),
    (
        "programs/check.sh",
        include_bytes!("../../../assets/programs/check.sh"),
    ),
    (
        "programs/java/Streams.java",
        include_bytes!("../../../assets/programs/java/Streams.java"),
    ),
    (
        "programs/java/MappedBuffer.java",
        include_bytes!("../../../assets/programs/java/MappedBuffer.java"),
    ),
    (
        "programs/java/TransferTo.java",
        include_bytes!("../../../assets/programs/java/TransferTo.java"),
    ),
    (
        "programs/redis/RedisAof.java",
        include_bytes!("../../../assets/programs/redis/RedisAof.java"),
    ),
];

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every file under assets/programs is embedded (a new lesson program
    /// that is not would be missing from an installed binary).
    #[test]
    fn every_program_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.join("programs")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    on_disk.push(rel);
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = super::PROGRAMS
            .iter()
            .map(|(p, _)| (*p).to_owned())
            .collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        for (path, bytes) in super::PROGRAMS {
            assert_eq!(
                *bytes,
                std::fs::read(root.join(path)).unwrap().as_slice(),
                "{path}"
            );
        }
    }
}
