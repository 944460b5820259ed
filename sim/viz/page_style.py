"""The browser view's style sheet: a header, a controls column and the main area.

The controls column is 340 px wide (316 px below 1,280 px), and the charts
flow into as many columns of at least 460 px as fit, so from 1,024 px up
nothing overlaps: at 1,024 px the charts stack in one column beside the
controls, at 1,400 px they sit two by two. The header's title never wraps
and is cut with an ellipsis only if the window is narrower than the title.
"""

from __future__ import annotations

__all__ = ["PAGE_CSS"]

PAGE_CSS = """
.cadre-app { display: flex; flex-direction: column; height: 100vh; overflow: hidden; }
.cadre-header {
  display: flex; align-items: center; gap: 10px; flex: none;
  height: 56px; padding: 0 12px; background: #1565c0; color: #fff;
}
.cadre-app-icon { flex: none; }
.cadre-title {
  font-size: 1.2rem; font-weight: 500; margin: 0; min-width: 0;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}
.cadre-body {
  display: grid; grid-template-columns: 340px minmax(0, 1fr); flex: 1; min-height: 0;
}
.cadre-body.cadre-closed { grid-template-columns: 0 minmax(0, 1fr); }
@media (max-width: 1279px) {
  .cadre-body { grid-template-columns: 316px minmax(0, 1fr); }
}
.cadre-sidebar {
  overflow-y: auto; padding: 10px; background: #f6f7f9; border-right: 1px solid #ddd;
}
.cadre-closed .cadre-sidebar { padding: 0; border: 0; }
.cadre-main { overflow-y: auto; padding: 10px 16px 24px 16px; }
.cadre-card { margin-bottom: 10px !important; }
.cadre-run-buttons .v-btn { min-width: 0 !important; padding: 0 10px !important; }
.cadre-card .v-card__title { font-size: 1.05rem; padding-bottom: 4px; }
.cadre-charts {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr));
  gap: 12px; margin: 8px 0 12px 0;
}
.cadre-figure { position: relative; min-width: 0; }
.cadre-figure img, .cadre-image { max-width: 100%; height: auto; display: block; }
.cadre-figure > div[style*="height: 100%"] { height: auto !important; }
.cadre-figure-bar {
  display: flex; align-items: center; justify-content: flex-end; gap: 8px; min-height: 52px;
}
.cadre-figure-bar .v-input { max-width: 300px; margin-right: auto; padding-top: 0; }
.cadre-panels {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px;
  margin-bottom: 12px;
}
.cadre-readout { display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; }
.cadre-muted { color: #555; }
.cadre-small { font-size: 0.85em; }
.cadre-note {
  font-size: 0.75em; color: #7a3e9d; border: 1px solid #c9a8dc; border-radius: 8px;
  padding: 0 6px; margin-left: 6px; white-space: nowrap;
}
.cadre-group { font-size: 0.8rem; font-weight: 600; color: #333; margin: 12px 0 2px 0; }
.cadre-lever { margin: 6px 0 2px 0; }
.cadre-lever-label {
  display: flex; align-items: baseline; gap: 4px; font-size: 0.85rem; color: #222;
}
.cadre-lever-value { margin-left: auto; font-variant-numeric: tabular-nums; }
.cadre-pending .cadre-lever-value { font-style: italic; color: #7a3e9d; }
.cadre-pending-text { color: #7a3e9d; font-style: italic; }
.cadre-slider { margin-top: 0 !important; }
.cadre-slider .v-slider { margin-left: 0; margin-right: 0; }
.cadre-switch { margin-top: 4px !important; }
.cadre-columns { column-width: 300px; column-gap: 24px; font-size: 0.85em; margin-top: 6px; }
.cadre-table { border-collapse: collapse; font-size: 0.85em; margin: 4px 16px 8px 0; }
.cadre-table caption { text-align: left; font-weight: 600; }
.cadre-table th { text-align: left; font-weight: normal; color: #555; padding: 1px 12px 1px 0; }
.cadre-inspector-tables { display: flex; flex-wrap: wrap; }
.cadre-inspector-heading { font-weight: 600; margin: 6px 0; }
"""
