//! Bar charts drawn on the server as inline SVG (no script, no library), each with its numbers
//! as a table for screen readers and for copying.

use maud::{Markup, html};

/// Colours of the series, in order (also the legend's).
const COLOURS: [&str; 3] = ["#1a4fb8", "#b3261e", "#1d7a3a"];
// A small drawing scaled to the card's width, so its text stays readable on a phone.
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 26.0;
const TOP: f64 = 12.0;
/// Width of one character of an axis label (font size 10, in drawing units): digits and
/// dashes of a sans-serif face are ~0.55 em, so this errs wide.
const LABEL_CHAR_WIDTH: f64 = 6.2;
/// Space kept between two axis labels.
const LABEL_GAP: f64 = 8.0;
/// Baseline of the first row of axis labels, and the drop to the second.
const LABEL_Y: f64 = HEIGHT - BOTTOM + 14.0;
const LABEL_ROW: f64 = 11.0;

/// One row of numbers over the chart's labels.
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) values: Vec<f64>,
}

/// A chart: a figure with a caption, the SVG bars, a legend, a CSV link and the numbers.
pub(crate) struct BarChart<'a> {
    pub(crate) id: &'a str,
    pub(crate) title: &'a str,
    pub(crate) labels: Vec<String>,
    pub(crate) series: Vec<Series<'a>>,
    pub(crate) csv: String,
    /// How a value is written (in tooltips, on the axis and in the table).
    pub(crate) show: fn(f64) -> String,
}

pub(crate) fn count(value: f64) -> String {
    format!("{value:.0}")
}

pub(crate) fn decimal(value: f64) -> String {
    format!("{value:.1}")
}

pub(crate) fn money(value: f64) -> String {
    format!("{:.2}", value / 100.0)
}

impl BarChart<'_> {
    pub(crate) fn render(&self) -> Markup {
        let title_id = format!("chart-{}-title", self.id);
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0_f64, f64::max);
        let scale_max = if max > 0.0 { max } else { 1.0 };
        let plot_width = WIDTH - LEFT - 8.0;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let groups = self.labels.len().max(1) as f64;
        let group_width = plot_width / groups;
        let bar_width = (group_width * 0.8 / self.series.len().max(1) as f64).max(1.0);
        let axis = axis_labels(&self.labels, group_width);
        let height = HEIGHT + LABEL_ROW * (axis.rows - 1) as f64;
        let summary = format!(
            "{}: {} value{}, highest {}",
            self.title,
            self.labels.len(),
            if self.labels.len() == 1 { "" } else { "s" },
            (self.show)(max)
        );
        html! {
            figure.chart #(format!("chart-{}", self.id)) {
                figcaption id=(title_id) { (self.title) }
                svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(summary) xmlns="http://www.w3.org/2000/svg" {
                    line x1=(LEFT) y1=(TOP + plot_height) x2=(WIDTH - 8.0) y2=(TOP + plot_height) stroke="#8a93a3" {}
                    text x=(LEFT - 6.0) y=(TOP + 10.0) text-anchor="end" font-size="10" fill="#4a5262" { ((self.show)(max)) }
                    text x=(LEFT - 6.0) y=(TOP + plot_height) text-anchor="end" font-size="10" fill="#4a5262" { "0" }
                    @if self.labels.is_empty() {
                        text x=(WIDTH / 2.0) y=(HEIGHT / 2.0) text-anchor="middle" font-size="14" fill="#4a5262" { "No data yet" }
                    }
                    @for (index, label) in self.labels.iter().enumerate() {
                        @for (series_index, series) in self.series.iter().enumerate() {
                            @let value = series.values.get(index).copied().unwrap_or(0.0);
                            @let height = (value / scale_max * plot_height).max(0.0);
                            @let x = LEFT + group_width * index as f64 + group_width * 0.1 + bar_width * series_index as f64;
                            rect.bar x=(format!("{x:.1}")) y=(format!("{:.1}", TOP + plot_height - height))
                                width=(format!("{bar_width:.1}")) height=(format!("{height:.1}"))
                                fill=(COLOURS[series_index % COLOURS.len()])
                                data-label=(label) data-series=(series.name) data-value=(value) {
                                title { (label) ", " (series.name) ": " ((self.show)(value)) }
                            }
                        }
                    }
                    @for label in &axis.labels {
                        text x=(format!("{:.1}", label.x)) y=(LABEL_Y + LABEL_ROW * label.row as f64)
                            text-anchor="middle" font-size="10" fill="#1d2330" { (label.text) }
                    }
                }
                @if self.series.len() > 1 {
                    p.legend {
                        @for (index, series) in self.series.iter().enumerate() {
                            span class=(format!("sw-{}", ["a", "b", "c"][index % 3])) { "■ " } (series.name) " "
                        }
                    }
                }
                p { a href=(self.csv) download { "Download CSV" } }
                details {
                    summary { "Numbers" }
                    div.table-wrap tabindex="0" {
                        table.numbers {
                            thead { tr { th scope="col" { "" } @for series in &self.series { th scope="col" { (series.name) } } } }
                            tbody {
                                @for (index, label) in self.labels.iter().enumerate() {
                                    tr {
                                        th scope="row" { (label) }
                                        @for series in &self.series {
                                            td { ((self.show)(series.values.get(index).copied().unwrap_or(0.0))) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An axis label placed under its group.
struct AxisLabel {
    x: f64,
    row: usize,
    text: String,
}

/// The labels under the bars, never overlapping and never past the drawing's edges. Every label
/// when each fits its group (one row) or two groups (two staggered rows: categories such as age
/// groups or funnel steps keep every name); otherwise every k-th label (days, weeks), k chosen
/// so that k groups hold the widest. The drawing scales as a whole (text with it), so what
/// holds in the view box holds on a desktop and on a phone alike.
struct Axis {
    rows: usize,
    labels: Vec<AxisLabel>,
}

fn axis_labels(labels: &[String], group_width: f64) -> Axis {
    let texts: Vec<String> = labels.iter().map(|label| clip(label)).collect();
    let widest = texts.iter().map(|t| label_width(t)).fold(0.0, f64::max) + LABEL_GAP;
    let (rows, every) = if widest <= group_width {
        (1, 1)
    } else if widest <= 2.0 * group_width {
        (2, 1)
    } else {
        (1, (widest / group_width).ceil() as usize)
    };
    let mut right_edges = vec![f64::NEG_INFINITY; rows];
    let mut placed = Vec::new();
    for (index, text) in texts.into_iter().enumerate().step_by(every) {
        let half = label_width(&text) / 2.0;
        let centre = LEFT + group_width * (index as f64 + 0.5);
        let x = centre.clamp(half, WIDTH - half);
        let row = index % rows;
        // Only a label pulled back from the edge can reach its neighbour: it gives way.
        if x - half < right_edges[row] + LABEL_GAP {
            continue;
        }
        right_edges[row] = x + half;
        placed.push(AxisLabel { x, row, text });
    }
    Axis {
        rows,
        labels: placed,
    }
}

fn label_width(text: &str) -> f64 {
    text.chars().count() as f64 * LABEL_CHAR_WIDTH
}

/// Axis labels stay short.
fn clip(label: &str) -> String {
    if label.chars().count() > 10 {
        let short: String = label.chars().take(9).collect();
        format!("{short}…")
    } else {
        label.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The x and y positions and texts of the axis labels under the bars.
    fn drawn_labels(svg: &str) -> Vec<(f64, f64, String)> {
        let attribute = |text: &str, name: &str| -> Option<f64> {
            text.split(&format!(" {name}=\""))
                .nth(1)?
                .split('"')
                .next()?
                .parse()
                .ok()
        };
        svg.split("<text ")
            .skip(1)
            .filter_map(|text| {
                let text = format!(" {text}");
                let y = attribute(&text, "y")?;
                (y >= LABEL_Y).then(|| {
                    let x = attribute(&text, "x").expect("an x position");
                    let label = text
                        .split('>')
                        .nth(1)
                        .and_then(|rest| rest.split('<').next())
                        .unwrap_or_default();
                    (x, y, label.to_owned())
                })
            })
            .collect()
    }

    fn chart(labels: Vec<String>) -> String {
        let n = labels.len();
        BarChart {
            id: "t",
            title: "T",
            labels,
            series: vec![Series {
                name: "S",
                values: vec![1.0; n],
            }],
            csv: String::new(),
            show: count,
        }
        .render()
        .into_string()
    }

    /// Labels on one row clear each other (centred, 0.6 em = 6 units a character) and the
    /// drawing's edges.
    fn assert_apart(what: &str, labels: &[(f64, f64, String)]) {
        for (x, _, label) in labels {
            let half = 6.0 * label.chars().count() as f64 / 2.0;
            assert!(
                x - half >= 0.0 && x + half <= WIDTH,
                "{what}: {label} at {x} leaves the chart"
            );
        }
        for (i, (x0, y0, a)) in labels.iter().enumerate() {
            for (x1, y1, b) in &labels[i + 1..] {
                let room = 6.0 * (a.chars().count() + b.chars().count()) as f64 / 2.0;
                assert!(
                    y0 != y1 || (x1 - x0).abs() >= room,
                    "{what}: {a} at {x0} runs into {b} at {x1}"
                );
            }
        }
    }

    fn days(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("2026-{:02}-{:02}", 1 + i / 28 % 12, 1 + i % 28))
            .collect()
    }

    #[test]
    fn day_labels_never_overlap_at_any_range() {
        for n in [1, 7, 30, 90, 365] {
            let labels = drawn_labels(&chart(days(n)));
            assert!(!labels.is_empty(), "{n} days: some label is drawn");
            assert_apart(&format!("{n} days"), &labels);
        }
    }

    /// Categories keep every name (on two rows where one is too narrow), unclipped.
    #[test]
    fn category_labels_are_all_drawn() {
        let groups = [
            "under 18", "18–24", "25–34", "35–44", "45–54", "55–64", "65+", "unknown",
        ];
        let steps = crate::web::dashboard::FUNNEL_STEPS;
        for names in [&groups[..], &steps[..]] {
            let labels = drawn_labels(&chart(names.iter().map(|n| n.to_string()).collect()));
            let texts: Vec<&str> = labels.iter().map(|(_, _, t)| t.as_str()).collect();
            assert_eq!(texts, names, "every category is named");
            assert_apart("categories", &labels);
        }
    }
}
