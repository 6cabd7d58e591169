//! The small statistics the runner needs: medians over replicates and confidence intervals
//! for ratios between runs.

/// The median (mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// Sample standard deviation; `None` with fewer than two values.
pub fn stddev(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    (values.len() >= 2)
        .then(|| (values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt())
}

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom.
pub fn t95(df: f64) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    if df < 1.0 {
        return f64::INFINITY;
    }
    let i = df.floor() as usize;
    if i <= TABLE.len() { TABLE[i - 1] } else { 1.96 }
}

/// The ratio `new / old` of two sets of replicate means, with a 95% confidence interval
/// from the delta method on the log ratio (Welch degrees of freedom). With fewer than two
/// replicates on either side there is no interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    pub ratio: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

pub fn ratio_ci(old: &[f64], new: &[f64]) -> Option<Ratio> {
    let (mo, mn) = (mean(old)?, mean(new)?);
    if mo <= 0.0 {
        return None;
    }
    let ratio = mn / mo;
    let (Some(so), Some(sn)) = (stddev(old), stddev(new)) else {
        return Some(Ratio {
            ratio,
            low: None,
            high: None,
        });
    };
    // Variance of each log-mean: (cv^2 / n).
    let vo = (so / mo).powi(2) / old.len() as f64;
    let vn = (sn / mn).powi(2) / new.len() as f64;
    let se = (vo + vn).sqrt();
    let df = if se == 0.0 {
        f64::INFINITY
    } else {
        (vo + vn).powi(2) / (vo.powi(2) / (old.len() - 1) as f64 + vn.powi(2) / (new.len() - 1) as f64)
    };
    let half = t95(df) * se;
    Some(Ratio {
        ratio,
        low: Some(ratio * (-half).exp()),
        high: Some(ratio * half.exp()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn ratio_interval_contains_the_ratio_and_narrows_with_agreement() {
        let r = ratio_ci(&[100.0, 102.0, 98.0], &[110.0, 112.0, 108.0]).unwrap();
        assert!((r.ratio - 1.1).abs() < 1e-9);
        let (low, high) = (r.low.unwrap(), r.high.unwrap());
        assert!(low < 1.1 && 1.1 < high && low > 1.0, "{r:?}");
        let wide = ratio_ci(&[80.0, 120.0, 100.0], &[110.0, 112.0, 108.0]).unwrap();
        assert!(wide.high.unwrap() - wide.low.unwrap() > high - low);
        let single = ratio_ci(&[100.0], &[50.0]).unwrap();
        assert_eq!((single.ratio, single.low, single.high), (0.5, None, None));
        assert!(ratio_ci(&[], &[1.0]).is_none());
    }

    #[test]
    fn t_quantiles() {
        assert_eq!(t95(2.0), 4.303);
        assert_eq!(t95(2.7), 4.303);
        assert_eq!(t95(500.0), 1.96);
        assert!(t95(0.5).is_infinite());
    }
}
