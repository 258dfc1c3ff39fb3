//! The report as data: sections of text, charts and tables, built by the section modules and
//! written as HTML ([`super::html`]) or as an Excel workbook ([`super::workbook`]).

use crate::output::{Lang, Table};

/// The whole report.
pub struct Document {
    /// The language of the section titles, names and table headers ([`super::localize`]).
    pub lang: Lang,
    /// The page title ("Customer report: orders.csv").
    pub title: String,
    /// One line under the title: as-of date, customers, when it was made.
    pub subtitle: String,
    pub sections: Vec<Section>,
}

/// One analysis: a heading, then blocks in reading order, and the tables the workbook gets.
pub struct Section {
    /// The HTML anchor (`rfm`, `clv`, …).
    pub id: &'static str,
    pub title: String,
    pub blocks: Vec<Block>,
    /// Sheets of the workbook, `(name, table)`; a name is at most 31 characters.
    pub sheets: Vec<Sheet>,
}

/// A sheet of the report workbook.
pub struct Sheet {
    pub name: String,
    pub table: Table,
    /// Colour the numbers of every column but the first on one scale (the cohort matrix).
    pub colour_scale: bool,
}

impl Section {
    /// An empty section.
    pub fn new(id: &'static str, title: &str) -> Section {
        Section {
            id,
            title: title.to_string(),
            blocks: Vec::new(),
            sheets: Vec::new(),
        }
    }

    /// A section the data does not allow: its heading and one sentence saying why.
    pub fn unavailable(id: &'static str, title: &str, why: impl Into<String>) -> Section {
        let mut section = Section::new(id, title);
        section.blocks.push(Block::Unavailable(why.into()));
        section
    }

    /// Adds a block (builder style).
    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    /// Adds a sheet to the workbook.
    pub fn sheet(&mut self, name: &str, table: Table) {
        self.sheets.push(Sheet {
            name: name.to_string(),
            table,
            colour_scale: false,
        });
    }
}

/// A piece of a section.
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// A warning about the data (a placeholder id, a weak model).
    Warning(String),
    /// Label–value pairs (rows, customers, date span).
    Facts(Vec<(String, String)>),
    Chart(Chart),
    /// A table with a caption; column names are shown as human headers.
    Table {
        caption: String,
        table: Table,
    },
    /// Why a part of the section is missing, in one sentence.
    Unavailable(String),
}

/// A chart: its title, what it shows, and one line read from the data.
pub struct Chart {
    pub title: String,
    /// One sentence computed from the data ("Champions are 12 % of customers and 48 % of
    /// revenue").
    pub reading: String,
    pub kind: ChartKind,
}

/// The kinds of chart the report draws. Every kind summarises: its size does not grow with
/// the number of customers.
pub enum ChartKind {
    /// Horizontal bars, one group per category, one bar per series.
    Bars {
        categories: Vec<String>,
        series: Vec<Series>,
        /// The value axis, with its unit.
        value_label: String,
        category_label: String,
    },
    /// A grid of cells coloured by value; NaN cells are left blank.
    HeatMap(HeatMap),
    /// Lines over a numeric x axis.
    Lines {
        series: Vec<Series>,
        x_label: String,
        y_label: String,
        /// A vertical marker: its x and its label (the end of calibration).
        marker: Option<(f64, String)>,
    },
    /// Tiers stacked as a pyramid, top tier first: width by share of customers, each layer
    /// labelled with its shares.
    Pyramid {
        tiers: Vec<String>,
        customer_share_pct: Vec<f64>,
        value_share_pct: Vec<f64>,
    },
}

/// A named series: bar values per category, or `(x, y)` points of a line.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// x of each value for a line; empty for bars.
    pub x: Vec<f64>,
}

impl Series {
    /// A series of bar values.
    pub fn bars(name: &str, values: Vec<f64>) -> Series {
        Series {
            name: name.to_string(),
            values,
            x: Vec::new(),
        }
    }

    /// A line through `(x, y)` points.
    pub fn line(name: &str, x: Vec<f64>, y: Vec<f64>) -> Series {
        Series {
            name: name.to_string(),
            values: y,
            x,
        }
    }
}

/// A heat map: `values[row * columns.len() + column]`.
pub struct HeatMap {
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    pub values: Vec<f64>,
    pub row_label: String,
    pub column_label: String,
    /// What the colour means, with its unit ("retention, %").
    pub value_label: String,
    /// Decimals of the numbers written in the cells.
    pub decimals: usize,
    /// Text written in each cell instead of the number (the loyalty quadrants).
    pub cell_text: Option<Vec<String>>,
}
