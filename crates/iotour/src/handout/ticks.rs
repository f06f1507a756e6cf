//! Round axis ticks: steps of 1, 2 or 5 times a power of ten, from 0 to
//! the first tick at or above the largest value, labelled without spurious
//! digits (`0 0.5 1 1.5`, `0 2,000 4,000`).

/// Ticks from 0 covering `max` in about `target` steps; the last tick is
/// the axis' end. An empty or zero range gets one step of 1.
pub fn ticks(max: f64, target: usize) -> Vec<f64> {
    ticks_at_least(max, target, 0.0)
}

/// [`ticks`] with a step of at least `min_step` (1 for counts: no "0.5 calls").
pub fn ticks_at_least(max: f64, target: usize, min_step: f64) -> Vec<f64> {
    let step = step(max, target).max(min_step);
    let n = (max / step).ceil().max(1.0) as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// The tick step for `max`: 1, 2 or 5 × 10^k.
pub fn step(max: f64, target: usize) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let raw = max / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// A tick's label with as many decimals as the step needs and thousands
/// separated: `0.25`, `1.5`, `2,000`.
pub fn label(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let text = format!("{v:.decimals$}");
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let digits: Vec<char> = int.chars().collect();
    let mut grouped = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) && c.is_ascii_digit() {
            grouped.push(',');
        }
        grouped.push(*c);
    }
    match frac {
        Some(f) => format!("{grouped}.{f}"),
        None => grouped,
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // ticks are exact multiples of exact steps
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        for max in [
            0.3, 0.9, 1.0, 7.3, 9.5, 42.0, 57.2, 128.0, 999.0, 30_000.0, 1.2e6,
        ] {
            let s = step(max, 5);
            let m = s / 10f64.powf(s.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|x| (m - x).abs() < 1e-9),
                "{max}: step {s}"
            );
            let t = ticks(max, 5);
            assert!(*t.last().unwrap() >= max && t.len() <= 12, "{max}: {t:?}");
            assert!(t[0].abs() < f64::EPSILON);
        }
        assert_eq!(ticks(57.2, 5), [0.0, 20.0, 40.0, 60.0]);
        assert_eq!(ticks(0.0, 5), [0.0, 1.0]);
    }

    #[test]
    fn labels_have_only_the_digits_the_step_needs() {
        assert_eq!(label(0.0, 0.5), "0");
        assert_eq!(label(1.5, 0.5), "1.5");
        assert_eq!(label(2000.0, 1000.0), "2,000");
        assert_eq!(label(0.25, 0.05), "0.25");
        assert_eq!(label(30.0, 10.0), "30");
        assert_eq!(label(1_000_000.0, 200_000.0), "1,000,000");
    }
}
