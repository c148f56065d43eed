//! How the benches print a figure: a label, the measurement, and the goal beside it with
//! whether it was met and, if not, by how much it was missed.

use std::time::Duration;

/// A goal from issue 4 and the measured value it is compared with.
pub enum Goal {
    /// A rate that should be at least this high.
    AtLeast(f64, f64),
    /// A size that should be at most this large.
    AtMost(f64, f64),
    /// A time that should be under this.
    Below(Duration, Duration),
}

impl Goal {
    fn verdict(&self) -> String {
        match *self {
            Goal::AtLeast(value, goal) if value >= goal => format!("goal >= {goal}: met"),
            Goal::AtLeast(value, goal) => {
                format!(
                    "goal >= {goal}: MISSED, {:.0}% short",
                    (1.0 - value / goal) * 100.0
                )
            }
            Goal::AtMost(value, goal) if value <= goal => format!("goal <= {goal}: met"),
            Goal::AtMost(value, goal) => {
                format!(
                    "goal <= {goal}: MISSED, {:.0}% over",
                    (value / goal - 1.0) * 100.0
                )
            }
            Goal::Below(value, goal) if value < goal => format!("goal < {}: met", ms(goal)),
            Goal::Below(value, goal) => format!(
                "goal < {}: MISSED, {:.1}x the goal",
                ms(goal),
                value.as_secs_f64() / goal.as_secs_f64()
            ),
        }
    }
}

/// One figure: `label  measurement  [goal: verdict]`.
pub fn line(label: &str, measurement: &str, goal: Goal) {
    println!("{label:<15} {measurement}   [{}]", goal.verdict());
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// `median M, min A, max B over N` (sorts the samples).
pub fn summarize(times: &mut [Duration]) -> String {
    times.sort();
    match (times.first(), times.last()) {
        (Some(min), Some(max)) => format!(
            "median {}, min {}, max {} over {}",
            ms(times[times.len() / 2]),
            ms(*min),
            ms(*max),
            times.len()
        ),
        _ => "no samples".to_string(),
    }
}
