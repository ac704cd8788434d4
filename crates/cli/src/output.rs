//! How read commands print what they read: `--output table` (aligned columns under a header
//! row, for people; the default) or `--output json` (the node's JSON as it came, for programs;
//! `--json` says the same).

use clap::ValueEnum;
use comfy_table::{presets, Cell, CellAlignment, ColumnConstraint, Table as Grid};

/// The shape of a read command's answer on standard output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns under a header row.
    Table,
    /// Pretty-printed JSON, as `--json` prints it.
    Json,
}

/// A JSON value as a table cell: a string as it is, anything else as JSON.
pub fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows under a header, printed as aligned columns with no borders (as `kubectl get` or
/// `docker ps` print them), so that each line is one item and `awk`/`cut` can read it.
pub struct Table {
    grid: Grid,
    header: Vec<String>,
    right: Vec<usize>,
    rows: usize,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        let mut grid = Grid::new();
        grid.load_preset(presets::NOTHING);
        Table {
            grid,
            header: header.iter().map(|h| h.to_string()).collect(),
            right: Vec::new(),
            rows: 0,
        }
    }

    /// Adds one item's cells, in the header's order.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Table
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grid
            .add_row(cells.into_iter().map(Into::into).collect::<Vec<String>>());
        self.rows += 1;
        self
    }

    /// Aligns a column, its header included, to the right (amounts, counts).
    pub fn right(&mut self, column: usize) -> &mut Table {
        self.right.push(column);
        self
    }

    /// The table as text: the header row, then one line per item, without trailing blanks.
    pub fn render(&mut self) -> String {
        let header = self.header.iter().enumerate().map(|(i, h)| {
            let cell = Cell::new(h);
            if self.right.contains(&i) {
                cell.set_alignment(CellAlignment::Right)
            } else {
                cell
            }
        });
        self.grid.set_header(header.collect::<Vec<Cell>>());
        for &i in &self.right {
            if let Some(c) = self.grid.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        for column in self.grid.column_iter_mut() {
            // No blank before the first column; two between columns.
            column.set_padding((0, 2));
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
        self.grid
            .lines()
            .map(|line| line.trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Prints the table on standard output.
    pub fn print(&mut self) {
        println!("{}", self.render());
    }

    /// Prints the table on standard output, or `empty` instead when it has no rows.
    pub fn print_or(&mut self, empty: &str) {
        if self.rows == 0 {
            println!("{empty}");
        } else {
            println!("{}", self.render());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_its_columns_under_the_header() {
        let mut t = Table::new(&["NAME", "ADDRESS"]);
        t.row(["alice", "plx1aaa"])
            .row(["bob-the-builder", "plx1bbbbbb"]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("NAME "), "{text}");
        let column = lines[0].find("ADDRESS").unwrap();
        assert_eq!(lines[1].find("plx1aaa"), Some(column), "{text}");
        assert_eq!(lines[2].find("plx1bbbbbb"), Some(column), "{text}");
        assert!(lines.iter().all(|l| l == &l.trim_end()), "{text}");
    }
}
