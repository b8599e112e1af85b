//! Human-readable sizes as the C tools print them (gnulib `human_readable` with autoscale,
//! base 1024, single-letter suffixes, round to nearest, ties to even).

/// `1.0K`, `21K`, `55M`, `512` — see tools.md §1.8.
pub fn human_size(bytes: u64) -> String {
    human_size_scaled(bytes as u128, 1)
}

/// The human form of `count × unit` bytes, computed exactly with gnulib's algorithm.
pub fn human_size_scaled(count: u128, unit: u128) -> String {
    const SUFFIXES: [char; 10] = ['K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y', 'R', 'Q'];
    const BASE: u128 = 1024;
    let mut amt = count * unit;
    // The dropped remainder: `tenths` is the next decimal digit, `rounding` says whether what
    // follows it is 0, less than half, exactly half (2) or more than half (3).
    let mut tenths: u128 = 0;
    let mut rounding: u128 = 0;
    let mut exponent = 0usize;
    let mut decimal = String::new();
    if BASE <= amt {
        while BASE <= amt && exponent < SUFFIXES.len() {
            let r10 = (amt % BASE) * 10 + tenths;
            let r2 = (r10 % BASE) * 2 + (rounding >> 1);
            amt /= BASE;
            tenths = r10 / BASE;
            rounding = if r2 < BASE {
                ((r2 + rounding) != 0) as u128
            } else {
                2 + (BASE < r2 + rounding) as u128
            };
            exponent += 1;
        }
        if amt < 10 {
            if 2 < rounding + (tenths & 1) {
                tenths += 1;
                rounding = 0;
                if tenths == 10 {
                    amt += 1;
                    tenths = 0;
                }
            }
            if amt < 10 {
                decimal = format!(".{}", tenths);
                tenths = 0;
                rounding = 0;
            }
        }
    }
    if 5 < tenths + ((0 < rounding + (amt & 1)) as u128) {
        amt += 1;
        if amt == BASE && exponent < SUFFIXES.len() {
            exponent += 1;
            decimal = ".0".to_string();
            amt = 1;
        }
    }
    let suffix = if exponent == 0 {
        String::new()
    } else {
        SUFFIXES[exponent - 1].to_string()
    };
    format!("{}{}{}", amt, decimal, suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_from_the_reference() {
        assert_eq!(human_size(9), "9");
        assert_eq!(human_size(1023), "1023");
        assert_eq!(human_size(1024), "1.0K");
        assert_eq!(human_size(1325), "1.3K");
        assert_eq!(human_size(21504), "21K");
        assert_eq!(human_size(57267200), "55M");
        assert_eq!(human_size(67108864), "64M");
        assert_eq!(human_size(104857600), "100M");
        assert_eq!(human_size(268435456), "256M");
        assert_eq!(human_size(162497024), "155M");
        assert_eq!(human_size(96695296), "92M");
    }

    #[test]
    fn rounding_edges() {
        // 10239 bytes = 9.999K → rounds to 10K.
        assert_eq!(human_size(10239), "10K");
        // 1048575 bytes = 1023.999K → 1.0M.
        assert_eq!(human_size(1048575), "1.0M");
        assert_eq!(human_size(1024 * 1024 * 1024), "1.0G");
    }
}
