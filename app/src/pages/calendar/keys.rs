//! Arrow keys inside the calendar grid. Only one booking button is in the
//! tab order (a roving tab stop): arrows move between the times of a column
//! and to the same time in the next column, Home and End to the first and
//! last time of the column.

use leptos::ev::KeyboardEvent;

/// The cell an arrow key leads to from (`column`, `row`), if any move at all.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn target(key: &str, column: usize, row: usize) -> Option<(usize, Option<usize>)> {
    // `None` for the row means the last one.
    match key {
        "ArrowUp" => row.checked_sub(1).map(|r| (column, Some(r))),
        "ArrowDown" => Some((column, Some(row + 1))),
        "ArrowLeft" => column.checked_sub(1).map(|c| (c, Some(row))),
        "ArrowRight" => Some((column + 1, Some(row))),
        "Home" => Some((column, Some(0))),
        "End" => Some((column, None)),
        _ => None,
    }
}

pub fn grid_keys(ev: KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use web_sys::{Element, HtmlElement, NodeList};
        // Positions come from the page itself: the buttons carry no
        // coordinates, which keeps a heavy week's markup small.
        let items = |list: Option<NodeList>| -> Vec<Element> {
            let Some(list) = list else { return Vec::new() };
            (0..list.length())
                .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
                .collect()
        };
        let slots_of =
            |column: &Element| items(column.query_selector_all(":scope > .cal-slot").ok());
        let (Some(from), Some(grid)) = (
            ev.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()),
            ev.current_target()
                .and_then(|t| t.dyn_into::<Element>().ok()),
        ) else {
            return;
        };
        let columns = items(grid.query_selector_all(".cal-col").ok());
        let Some(parent) = from.parent_element() else {
            return;
        };
        let Some(column) = columns.iter().position(|c| c.is_same_node(Some(&parent))) else {
            return;
        };
        let Some(row) = slots_of(&parent)
            .iter()
            .position(|s| s.is_same_node(Some(&from)))
        else {
            return;
        };
        let Some((to_column, to_row)) = target(&ev.key(), column, row) else {
            return;
        };
        let slots = columns.get(to_column).map(slots_of).unwrap_or_default();
        let next = match to_row {
            Some(r) => slots.get(r).cloned(),
            None => slots.last().cloned(),
        }
        .and_then(|el| el.dyn_into::<HtmlElement>().ok());
        if let Some(next) = next {
            ev.prevent_default();
            let _ = from.set_attribute("tabindex", "-1");
            let _ = next.set_attribute("tabindex", "0");
            let _ = next.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_move_within_the_grid_and_stop_at_its_top_and_left_edge() {
        assert_eq!(target("ArrowDown", 0, 3), Some((0, Some(4))));
        assert_eq!(target("ArrowUp", 0, 0), None);
        assert_eq!(target("ArrowLeft", 0, 2), None);
        assert_eq!(target("ArrowRight", 1, 2), Some((2, Some(2))));
        assert_eq!(target("End", 2, 2), Some((2, None)));
        assert_eq!(target("a", 0, 0), None);
    }
}
