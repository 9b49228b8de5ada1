// The search box of the header: sites and projects by name or code as a listbox that works with
// the keyboard; picking one opens its side panel.
import { t } from '/i18n.js';
import { api, el, projectName, reportFailure } from '/common.js';
import { tickets } from '/map/state.js';
import { showSite, showProject } from '/map/panel.js';

let searchTimer = 0;
function closeSearch() {
  tickets.search += 1;
  document.getElementById('search-results').hidden = true;
  document.getElementById('search').setAttribute('aria-expanded', 'false');
}

function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => reportFailure(runSearch()), 250);
}

async function runSearch() {
  const input = document.getElementById('search');
  const list = document.getElementById('search-results');
  const q = input.value.trim();
  if (!q) { closeSearch(); return; }
  const ticket = ++tickets.search;
  const query = new URLSearchParams({ q, limit: '8' });
  const [sites, projects] = await Promise.all([api(`/api/sites?${query}`), api(`/api/projects?${query}`)]);
  if (ticket !== tickets.search) return;
  const choose = (action) => { closeSearch(); action(); };
  const option = (text, sub, action) => el('li', { role: 'option', tabindex: -1, onclick: () => choose(action),
    onkeydown: (e) => onOptionKey(e, () => choose(action)) }, el('span', {}, text), el('span', { class: 'muted' }, sub));
  const items = [
    ...projects.data.items.map((p) => option(projectName(p), `${t('searchProjects')} · ${p.code}`, () => showProject(p.id))),
    ...sites.data.items.map((s) => option(s.name, `${t(s.kind)} · ${s.code}`, () => showSite(s.id, true))),
  ];
  list.replaceChildren(...(items.length ? items : [el('li', { class: 'empty' }, t('noMatches'))]));
  list.hidden = false;
  input.setAttribute('aria-expanded', 'true');
}

function onSearchKey(e) {
  const options = [...document.getElementById('search-results').querySelectorAll('[role=option]')];
  if (e.key === 'ArrowDown' && options.length) { e.preventDefault(); options[0].focus(); }
  if (e.key === 'Enter' && options.length) { e.preventDefault(); options[0].click(); }
  if (e.key === 'Escape') closeSearch();
}

/** Up and down move between the options, Enter picks one, Escape goes back to the box. */
function onOptionKey(e, pick) {
  const option = e.currentTarget;
  if (e.key === 'Enter') pick();
  else if (e.key === 'ArrowDown') { e.preventDefault(); option.nextElementSibling?.focus(); }
  else if (e.key === 'ArrowUp') { e.preventDefault(); (option.previousElementSibling ?? document.getElementById('search')).focus(); }
  else if (e.key === 'Escape') { closeSearch(); document.getElementById('search').focus(); }
}

export function wireSearch() {
  document.getElementById('search').addEventListener('input', onSearchInput);
  document.getElementById('search').addEventListener('keydown', onSearchKey);
}
