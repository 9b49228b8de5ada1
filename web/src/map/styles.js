// How every layer of the map page looks, and in which order they are drawn: plain data, so that
// the state, the URL and the layer code can all name the layers without importing each other.
import { STATE_COLOURS, CLASS_COLOURS } from '/common.js';

const stateColour = ['match', ['get', 'remediation_state'],
  'in_progress', STATE_COLOURS.in_progress, 'done', STATE_COLOURS.done, 'suspended', STATE_COLOURS.suspended,
  STATE_COLOURS.none];
// sections by their latest class (GB 3838), grey when not monitored
const classColour = ['match', ['coalesce', ['get', 'latest_class'], 'none'],
  ...Object.entries(CLASS_COLOURS).flat(), '#94a3b8'];
// a layer of mixed geometries draws each kind with its own style
const isPoint = ['==', ['geometry-type'], 'Point'];
const isLine = ['==', ['geometry-type'], 'LineString'];
const isPolygon = ['==', ['geometry-type'], 'Polygon'];

// Drawing order, bottom to top, with each layer's own style.
export const LAYERS = [
  { id: 'key_zone', swatch: '#a855f7', styles: [
    { type: 'fill', paint: { 'fill-color': '#a855f7', 'fill-opacity': 0.08 } },
    { type: 'line', paint: { 'line-color': '#a855f7', 'line-width': 1.5 } },
  ] },
  { id: 'contaminated_plot', swatch: '#b45309', styles: [
    { type: 'fill', paint: { 'fill-color': stateColour, 'fill-opacity': 0.55 } },
    { type: 'line', paint: { 'line-color': '#78350f', 'line-width': 1 } },
  ] },
  { id: 'river', swatch: '#3b82f6', styles: [
    { type: 'line', paint: { 'line-color': '#3b82f6', 'line-width': ['match', ['get', 'remediation_state'], 'none', 1.5, 3] } },
  ] },
  { id: 'black_odor_water', swatch: '#111827', styles: [
    { type: 'line', paint: { 'line-color': stateColour, 'line-width': 5 }, filter: isLine },
    { type: 'fill', paint: { 'fill-color': stateColour, 'fill-opacity': 0.8 }, filter: isPolygon },
  ] },
  { id: 'facility', swatch: '#0ea5e9', styles: [
    { type: 'fill', paint: { 'fill-color': '#0ea5e9', 'fill-opacity': 0.35 }, filter: isPolygon },
    { type: 'circle', paint: { 'circle-radius': 5, 'circle-color': '#0ea5e9', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 }, filter: isPoint },
  ] },
  { id: 'enterprise', swatch: '#6b7280', styles: [
    { type: 'fill', paint: { 'fill-color': stateColour, 'fill-opacity': 0.6 }, filter: isPolygon },
    { type: 'circle', paint: { 'circle-radius': 3.5, 'circle-color': stateColour, 'circle-stroke-color': '#374151', 'circle-stroke-width': 0.5 }, filter: isPoint },
  ] },
  { id: 'outfall', swatch: '#be123c', styles: [
    { type: 'circle', paint: { 'circle-radius': 4.5, 'circle-color': stateColour, 'circle-stroke-color': '#be123c', 'circle-stroke-width': 2 } },
  ] },
  { id: 'monitoring_section', swatch: '#0d9488', styles: [
    // a section missing its target gets a dark ring
    { type: 'circle', paint: { 'circle-radius': 4, 'circle-color': classColour,
      'circle-stroke-color': ['case', ['==', ['get', 'meets_target'], false], '#450a0a', '#ffffff'],
      'circle-stroke-width': ['case', ['==', ['get', 'meets_target'], false], 2, 1] } },
  ] },
];

export const OUTLINE_STYLES = [
  { type: 'fill', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.35 }, filter: ['==', ['get', 'level'], 'town'] },
  { type: 'line', paint: { 'line-color': '#64748b', 'line-width': ['match', ['get', 'level'], 'district', 2.5, 1], 'line-dasharray': [3, 2] } },
];

// above every data layer: the shape of the last location query (or the polygon being drawn),
// then the highlighted sites
export const OVERLAYS = [
  { source: 'query-shape', layers: [
    { id: 'query-shape-fill', type: 'fill', paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.08 }, filter: isPolygon },
    { id: 'query-shape-line', type: 'line', paint: { 'line-color': '#2563eb', 'line-width': 2, 'line-dasharray': [2, 1] } },
    { id: 'query-shape-point', type: 'circle', paint: { 'circle-radius': 4, 'circle-color': '#2563eb' }, filter: isPoint },
  ] },
  { source: 'highlight', layers: [
    { id: 'highlight-fill', type: 'fill', paint: { 'fill-color': '#22d3ee', 'fill-opacity': 0.35 }, filter: isPolygon },
    { id: 'highlight-line', type: 'line', paint: { 'line-color': '#0891b2', 'line-width': 5 } },
    { id: 'highlight-point', type: 'circle', paint: { 'circle-radius': 9, 'circle-color': 'rgba(34,211,238,0.4)', 'circle-stroke-color': '#0891b2', 'circle-stroke-width': 3 }, filter: isPoint },
  ] },
];
