//! The forward DCT: libjpeg's `jfdctflt` (AAN), eight lanes at a time.

/// The scale of each output of the AAN forward DCT, by frequency: `cos(k pi / 16) * sqrt(2)`
/// (1 for k = 0). Folded into the quantisation divisors.
pub(crate) const AAN_SCALE: [f32; 8] = [
    1.0,
    1.387_039_8,
    1.306_563,
    1.175_875_6,
    1.0,
    0.785_694_96,
    0.541_196_1,
    0.275_899_38,
];

/// One block of samples or coefficients, as eight rows of eight.
pub(crate) type Block = [[f32; 8]; 8];

/// The AAN forward DCT (as libjpeg's `jfdctflt`) of `rows`, one row of eight lanes at a
/// time: first down the columns, then, transposed, along the rows. The output is transposed
/// (`out[u][v]`, horizontal frequency first) and scaled by [`AAN_SCALE`] per frequency.
pub(crate) fn fdct(rows: &Block) -> Block {
    let columns = fdct_lanes(rows);
    let transposed: Block = std::array::from_fn(|c| std::array::from_fn(|r| columns[r][c]));
    fdct_lanes(&transposed)
}

/// The eight-point AAN DCT across the eight rows of `d`, in each of the eight lanes.
#[inline(always)]
fn fdct_lanes(d: &Block) -> Block {
    let mut out: Block = [[0.0; 8]; 8];
    for i in 0..8 {
        let tmp0 = d[0][i] + d[7][i];
        let tmp7 = d[0][i] - d[7][i];
        let tmp1 = d[1][i] + d[6][i];
        let tmp6 = d[1][i] - d[6][i];
        let tmp2 = d[2][i] + d[5][i];
        let tmp5 = d[2][i] - d[5][i];
        let tmp3 = d[3][i] + d[4][i];
        let tmp4 = d[3][i] - d[4][i];
        // Even part.
        let tmp10 = tmp0 + tmp3;
        let tmp13 = tmp0 - tmp3;
        let tmp11 = tmp1 + tmp2;
        let tmp12 = tmp1 - tmp2;
        out[0][i] = tmp10 + tmp11;
        out[4][i] = tmp10 - tmp11;
        let z1 = (tmp12 + tmp13) * std::f32::consts::FRAC_1_SQRT_2;
        out[2][i] = tmp13 + z1;
        out[6][i] = tmp13 - z1;
        // Odd part.
        let tmp10 = tmp4 + tmp5;
        let tmp11 = tmp5 + tmp6;
        let tmp12 = tmp6 + tmp7;
        let z5 = (tmp10 - tmp12) * 0.382_683_43;
        let z2 = 0.541_196_1 * tmp10 + z5;
        let z4 = 1.306_563 * tmp12 + z5;
        let z3 = tmp11 * std::f32::consts::FRAC_1_SQRT_2;
        let z11 = tmp7 + z3;
        let z13 = tmp7 - z3;
        out[5][i] = z13 + z2;
        out[3][i] = z13 - z2;
        out[1][i] = z11 + z4;
        out[7][i] = z11 - z4;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forward DCT is the DCT's formula (scaled as the divisors expect).
    #[test]
    fn forward_dct_is_the_formula() {
        use std::f64::consts::{FRAC_1_SQRT_2, PI};
        let mut block: Block = [[0.0; 8]; 8];
        for (r, row) in block.iter_mut().enumerate() {
            for (c, sample) in row.iter_mut().enumerate() {
                *sample = ((r * 37 + c * 91) % 255) as f32 - 128.0;
            }
        }
        let out = fdct(&block);
        for v in 0..8 {
            for u in 0..8 {
                let c = |k: usize| if k == 0 { FRAC_1_SQRT_2 } else { 1.0 };
                let mut sum = 0.0;
                for (r, row) in block.iter().enumerate() {
                    for (x, &sample) in row.iter().enumerate() {
                        sum += f64::from(sample)
                            * ((2 * x + 1) as f64 * u as f64 * PI / 16.0).cos()
                            * ((2 * r + 1) as f64 * v as f64 * PI / 16.0).cos();
                    }
                }
                let expected = c(u) * c(v) / 4.0 * sum;
                let scale = f64::from(AAN_SCALE[u] * AAN_SCALE[v]) * 8.0;
                let got = f64::from(out[u][v]) / scale;
                assert!(
                    (got - expected).abs() < 1e-3,
                    "{u},{v}: {got} vs {expected}"
                );
            }
        }
    }
}
