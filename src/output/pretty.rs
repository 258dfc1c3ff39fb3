//! Terminal tables.

use comfy_table::{
    CellAlignment, ContentArrangement, Table as Comfy, presets::UTF8_FULL_CONDENSED,
};

use super::{Table, Values};

/// Renders a table for a terminal: numbers right-aligned, wrapped to the terminal width.
pub fn render_table(table: &Table) -> String {
    let mut out = Comfy::new();
    out.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    out.set_header(&table.names);
    for row in 0..table.height() {
        out.add_row((0..table.columns.len()).map(|c| table.cell(c, row)));
    }
    for (index, values) in table.columns.iter().enumerate() {
        if matches!(values, Values::Int(_) | Values::Float(..))
            && let Some(column) = out.column_mut(index)
        {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    out.to_string()
}
