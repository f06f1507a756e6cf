//! Serde for a [`Duration`] as whole nanoseconds (`"at": 1234567`), the unit
//! recordings use for every time since a run began.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_nanos)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use std::time::Duration;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct T {
        #[serde(with = "super")]
        at: Duration,
    }

    #[test]
    fn durations_are_integer_nanoseconds_both_ways() {
        let t = T {
            at: Duration::new(2, 5),
        };
        let s = serde_json::to_string(&t).unwrap();
        assert_eq!(s, r#"{"at":2000000005}"#);
        assert_eq!(serde_json::from_str::<T>(&s).unwrap(), t);
    }
}
