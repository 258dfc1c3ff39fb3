//! Charts as inline SVG, drawn by `plotters` with only its SVG backend.
//!
//! Text is written as SVG `<text>` in the generic `sans-serif` family (no font file is read
//! when drawing or viewing), and plotters escapes it. Every chart is sized by its categories,
//! cells or points, never by the number of customers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::document::{ChartKind, HeatMap, Series};

/// Width of every chart in SVG units (the page scales it to fit).
const WIDTH: u32 = 760;

const FONT: &str = "sans-serif";

/// Font sizes (plotters writes 1/1.24 of them as the SVG font size).
const TITLE_SIZE: u32 = 24;
const AXIS_SIZE: u32 = 19;
const LABEL_SIZE: u32 = 17;

/// Text anchored at its centre.
fn centred() -> Pos {
    Pos::new(HPos::Center, VPos::Center)
}

/// Colours of the series, in order (colour-blind safe: Okabe–Ito).
const PALETTE: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];

/// Cells of a heat map above which the numbers are not written in the cells.
const MAX_LABELLED_CELLS: usize = 400;

/// Draws a chart as an SVG document (without an XML declaration), titled `title`.
pub fn svg(title: &str, kind: &ChartKind) -> Result<String, String> {
    let mut out = String::new();
    let drawn = match kind {
        ChartKind::Bars {
            categories,
            series,
            value_label,
            category_label,
        } => bars(
            &mut out,
            title,
            categories,
            series,
            (value_label, category_label),
        ),
        ChartKind::HeatMap(map) => heat_map(&mut out, title, map),
        ChartKind::Lines {
            series,
            x_label,
            y_label,
            marker,
        } => lines(&mut out, title, series, (x_label, y_label), marker.as_ref()),
        ChartKind::Pyramid {
            tiers,
            customer_share_pct,
            value_share_pct,
        } => pyramid(&mut out, title, tiers, customer_share_pct, value_share_pct),
    };
    drawn.map_err(|e| format!("cannot draw the chart '{title}': {e}"))?;
    Ok(out)
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Horizontal grouped bars, categories top to bottom in the order given.
fn bars(
    out: &mut String,
    title: &str,
    categories: &[String],
    series: &[Series],
    (value_label, category_label): (&str, &str),
) -> Drawn {
    let n = categories.len();
    let per_group = series.len().max(1);
    let height = 110 + (n * (12 + 17 * per_group)).max(120) as u32 + 40 * (per_group > 1) as u32;
    let root = SVGBackend::with_string(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let top = if top > 0.0 { top * 1.12 } else { 1.0 };
    let label_width = categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 28) as u32
        * 9
        + 50;
    // Category 0 at the top: plotters counts y upwards, so category c sits at y = n - 1 - c,
    // and the axis runs from -0.5 so that its whole-number ticks fall on the categories.
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(12)
        .margin_right(28)
        .margin_bottom(if per_group > 1 { 40 } else { 12 })
        .x_label_area_size(48)
        .y_label_area_size(label_width)
        .build_cartesian_2d(0.0..top, -0.5..(n.max(1) as f64 - 0.5))?;
    let label_of = |y: &f64| {
        let slot = y.round();
        let whole = (y - slot).abs() < 1e-6 && slot >= 0.0 && (slot as usize) < n;
        match whole {
            true => categories[n - 1 - slot as usize].clone(),
            false => String::new(),
        }
    };
    let value_of = |v: &f64| tick(*v, top);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n.max(1))
        .y_label_formatter(&label_of)
        .x_label_formatter(&value_of)
        .x_desc(value_label)
        .y_desc(category_label)
        .axis_desc_style((FONT, AXIS_SIZE))
        .label_style((FONT, LABEL_SIZE))
        .draw()?;
    let band = 0.8 / per_group as f64;
    for (s, one) in series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        let rects = one.values.iter().enumerate().map(|(c, &v)| {
            let low = (n - 1 - c) as f64 - 0.4 + band * (per_group - 1 - s) as f64;
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            Rectangle::new([(0.0, low), (v, low + band)], colour.filled())
        });
        chart.draw_series(rects)?;
    }
    if per_group > 1 {
        // The legend on a line of its own under the axis, clear of the bars.
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        legend_row(&root, &names, (label_width as i32 + 12, height as i32 - 34))?;
    }
    root.present()?;
    Ok(())
}

/// A heat map; row 0 at the top.
fn heat_map(out: &mut String, title: &str, map: &HeatMap) -> Drawn {
    let (rows, columns) = (map.rows.len(), map.columns.len());
    let cell_height = match rows {
        0..=4 => 56,
        5..=24 => 30,
        _ => 18,
    };
    let height = 170 + (rows as u32 * cell_height).max(80);
    let root = SVGBackend::with_string(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let (low, high) = finite_range(&map.values);
    let label_width = map
        .rows
        .iter()
        .map(|r| r.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 24) as u32
        * 9
        + 56;
    // Cells centred on whole numbers, row 0 at the top (plotters counts y upwards).
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(12)
        .margin_right(28)
        .margin_bottom(34)
        .x_label_area_size(56)
        .y_label_area_size(label_width)
        .build_cartesian_2d(
            -0.5..(columns.max(1) as f64 - 0.5),
            -0.5..(rows.max(1) as f64 - 0.5),
        )?;
    let whole = |v: f64, n: usize| {
        let k = v.round();
        ((v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < n).then_some(k as usize)
    };
    let column_of = |v: &f64| whole(*v, columns).map_or(String::new(), |c| map.columns[c].clone());
    let row_of =
        |v: &f64| whole(*v, rows).map_or(String::new(), |r| map.rows[rows - 1 - r].clone());
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(columns.max(1))
        .y_labels(rows.max(1))
        .x_label_formatter(&column_of)
        .y_label_formatter(&row_of)
        .x_desc(map.column_label.as_str())
        .y_desc(map.row_label.as_str())
        .axis_desc_style((FONT, AXIS_SIZE))
        .label_style((FONT, LABEL_SIZE))
        .draw()?;
    let cell = |r: usize, c: usize| map.values[r * columns + c];
    let centre = |r: usize, c: usize| (c as f64, (rows - 1 - r) as f64);
    let cells = (0..rows).flat_map(|r| (0..columns).map(move |c| (r, c)));
    chart.draw_series(
        cells
            .clone()
            .filter(|&(r, c)| cell(r, c).is_finite())
            .map(|(r, c)| {
                let (x, y) = centre(r, c);
                Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    scale_colour(cell(r, c), low, high).filled(),
                )
            }),
    )?;
    if rows * columns <= MAX_LABELLED_CELLS || map.cell_text.is_some() {
        let text_of = |r: usize, c: usize| match &map.cell_text {
            Some(text) => text[r * columns + c].clone(),
            None => format!("{:.*}", map.decimals, cell(r, c)),
        };
        let size = if columns > 14 {
            LABEL_SIZE - 3
        } else {
            LABEL_SIZE
        };
        chart.draw_series(
            cells
                .filter(|&(r, c)| cell(r, c).is_finite() || map.cell_text.is_some())
                .map(|(r, c)| {
                    let dark = cell(r, c).is_finite() && fraction(cell(r, c), low, high) > 0.55;
                    let style = TextStyle::from((FONT, size).into_font())
                        .color(if dark { &WHITE } else { &BLACK })
                        .pos(centred());
                    Text::new(text_of(r, c), centre(r, c), style)
                }),
        )?;
    }
    let legend = format!(
        "{}: {:.*} (light) to {:.*} (dark)",
        map.value_label, map.decimals, low, map.decimals, high
    );
    root.draw(&Text::new(
        legend,
        (label_width as i32 + 12, height as i32 - 26),
        (FONT, LABEL_SIZE - 2),
    ))?;
    root.present()?;
    Ok(())
}

/// Lines over a numeric x axis, with an optional vertical marker.
fn lines(
    out: &mut String,
    title: &str,
    series: &[Series],
    (x_label, y_label): (&str, &str),
    marker: Option<&(f64, String)>,
) -> Drawn {
    let root = SVGBackend::with_string(out, (WIDTH, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let xs: Vec<f64> = series.iter().flat_map(|s| s.x.iter().copied()).collect();
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .collect();
    let (x_low, x_high) = finite_range(&xs);
    let (_, y_high) = finite_range(&ys);
    let x_high = if x_high > x_low { x_high } else { x_low + 1.0 };
    let y_high = if y_high > 0.0 { y_high * 1.05 } else { 1.0 };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(42)
        .y_label_area_size(70)
        .build_cartesian_2d(x_low..x_high, 0.0..y_high)?;
    let x_tick = |v: &f64| tick(*v, x_high - x_low);
    let y_tick = |v: &f64| tick(*v, y_high);
    chart
        .configure_mesh()
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT, AXIS_SIZE))
        .label_style((FONT, LABEL_SIZE))
        .light_line_style(BLACK.mix(0.05))
        .draw()?;
    for (s, one) in series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        let points = one
            .x
            .iter()
            .zip(&one.values)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(&x, &y)| (x, y));
        let style = if one.name.starts_with("random") {
            ShapeStyle::from(&BLACK.mix(0.45)).stroke_width(1)
        } else {
            colour.stroke_width(2)
        };
        chart
            .draw_series(LineSeries::new(points, style))?
            .label(one.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style));
    }
    if let Some((x, label)) = marker {
        let dashed = BLACK.mix(0.5).stroke_width(1);
        chart.draw_series(LineSeries::new([(*x, 0.0), (*x, y_high)], dashed))?;
        chart.draw_series(std::iter::once(Text::new(
            label.clone(),
            (*x, y_high * 0.97),
            (FONT, LABEL_SIZE),
        )))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, LABEL_SIZE))
        .draw()?;
    root.present()?;
    Ok(())
}

/// The value tiers as a pyramid: top tier first, centred layers whose width grows with the
/// tier's share of customers (at least a sliver, so a tiny top tier stays visible).
fn pyramid(
    out: &mut String,
    title: &str,
    tiers: &[String],
    customer_share_pct: &[f64],
    value_share_pct: &[f64],
) -> Drawn {
    let layer = 46;
    let height = 70 + layer * tiers.len() as u32 + 30;
    let root = SVGBackend::with_string(out, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        title.to_string(),
        (
            WIDTH as i32 / 2 - (title.chars().count() as i32 * 9) / 2,
            12,
        ),
        (FONT, TITLE_SIZE),
    ))?;
    // Layers centred in the left half, labels in a column to their right.
    let centre = (WIDTH / 4 + 20) as i32;
    let full = (WIDTH / 2 - 20) as f64;
    let label_x = (WIDTH / 2 + 30) as i32;
    for (t, name) in tiers.iter().enumerate() {
        let share = customer_share_pct.get(t).copied().unwrap_or(0.0);
        let half = ((full * share / 100.0).max(40.0) / 2.0) as i32;
        let top = 50 + t as i32 * layer as i32;
        let colour = PALETTE[t % PALETTE.len()];
        root.draw(&Rectangle::new(
            [
                (centre - half, top),
                (centre + half, top + layer as i32 - 6),
            ],
            colour.filled(),
        ))?;
        let label = format!(
            "{name}: {share:.0} % of customers, {:.0} % of value",
            value_share_pct.get(t).copied().unwrap_or(f64::NAN)
        );
        let style =
            TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(
            label,
            (label_x, top + (layer as i32 - 6) / 2),
            style,
        ))?;
    }
    root.draw(&Text::new(
        "width: share of customers (%); label: share of customers and of expected value (%)"
            .to_string(),
        (40, height as i32 - 18),
        (FONT, LABEL_SIZE - 2),
    ))?;
    root.present()?;
    Ok(())
}

/// Coloured squares and names in a row from `at`, in the series' colours.
fn legend_row(root: &DrawingArea<SVGBackend, Shift>, names: &[&str], at: (i32, i32)) -> Drawn {
    let mut x = at.0;
    for (s, name) in names.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        root.draw(&Rectangle::new(
            [(x, at.1), (x + 14, at.1 + 14)],
            colour.filled(),
        ))?;
        let style =
            TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(name.to_string(), (x + 20, at.1 + 7), style))?;
        x += 40 + name.chars().count() as i32 * 9;
    }
    Ok(())
}

/// An axis tick: whole numbers on an axis spanning more than 5, else one or two decimals.
fn tick(value: f64, span: f64) -> String {
    match span.abs() {
        s if s > 5.0 => format!("{value:.0}"),
        s if s > 0.5 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

/// The smallest and largest finite values (0, 1 when there is none).
fn finite_range(values: &[f64]) -> (f64, f64) {
    let (low, high) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    if low.is_finite() {
        (low, high)
    } else {
        (0.0, 1.0)
    }
}

/// Where `value` lies between `low` and `high`, in [0, 1].
fn fraction(value: f64, low: f64, high: f64) -> f64 {
    if high > low {
        ((value - low) / (high - low)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// A sequential blue scale from pale (low) to dark (high).
fn scale_colour(value: f64, low: f64, high: f64) -> RGBColor {
    let f = fraction(value, low, high);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    RGBColor(mix(239, 8), mix(243, 48), mix(255, 107))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_draws_an_svg_with_its_title() {
        let kinds = [
            ChartKind::Bars {
                categories: vec!["Champions".into(), "Lost & <gone>".into()],
                series: vec![Series::bars("customers", vec![12.0, 30.0])],
                value_label: "customers (%)".into(),
                category_label: "segment".into(),
            },
            ChartKind::HeatMap(HeatMap {
                rows: vec!["2024-01".into(), "2024-02".into()],
                columns: vec!["0".into(), "1".into()],
                values: vec![100.0, 20.0, 100.0, f64::NAN],
                row_label: "cohort".into(),
                column_label: "months since".into(),
                value_label: "retention, %".into(),
                decimals: 0,
                cell_text: None,
            }),
            ChartKind::Lines {
                series: vec![Series::line("actual", vec![0.0, 1.0], vec![0.0, 5.0])],
                x_label: "week".into(),
                y_label: "purchases".into(),
                marker: Some((0.5, "end of calibration".into())),
            },
            ChartKind::Pyramid {
                tiers: vec!["platinum".into(), "gold".into()],
                customer_share_pct: vec![5.0, 15.0],
                value_share_pct: vec![40.0, 30.0],
            },
        ];
        for kind in &kinds {
            let drawn = svg("A <title>", kind).unwrap();
            assert!(drawn.starts_with("<svg"), "{drawn}");
            assert!(drawn.contains("A &lt;title&gt;"), "{drawn}");
            assert!(drawn.contains("<rect") || drawn.contains("<polyline"));
            assert!(!drawn.contains("http://") || drawn.contains("xmlns=\"http://www.w3.org"));
        }
    }

    #[test]
    fn the_colour_scale_runs_from_pale_to_dark() {
        assert_eq!(scale_colour(0.0, 0.0, 1.0), RGBColor(239, 243, 255));
        assert_eq!(scale_colour(1.0, 0.0, 1.0), RGBColor(8, 48, 107));
        assert_eq!(fraction(5.0, 5.0, 5.0), 0.5);
    }
}
