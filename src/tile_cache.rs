//! The in-memory cache of rendered vector tiles: bounded in bytes (least recently used tiles
//! go first), and never stale. The database announces every committed change to what tiles
//! draw on channel `tile_dirty` (migration 0003) with the old and new boxes of the changed
//! sites; a listener task evicts exactly the cached tiles, on every zoom, whose area (with the
//! render buffer) meets one of those boxes. While the listener is not connected, nothing is
//! cached or served from the cache.
//!
//! Two races are closed here. A tile rendered from a snapshot taken before a write but stored
//! after its eviction would bring the old state back: every eviction bumps a generation, and a
//! tile is stored only if no eviction happened since its render began. And a client that wrote
//! through this server must see its change on its very next tile request, before the
//! notification might have arrived: `sync` sends a marker notification after the write has
//! committed and waits until the listener has read it, which in PostgreSQL's commit order means
//! every earlier notification has been applied. Concurrent requests for an uncached tile share
//! one render (within one generation), so a burst of map clients costs one query per tile.

use crate::db::tile_events::{self, TileEvent, TileEvents};
use crate::domain::SiteKind;
use crate::domain::coords::LonLatBox;
use crate::domain::tile;
use bytes::Bytes;
use lru::LruCache;
use serde::Deserialize;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{OnceCell, oneshot};

/// How long a writer waits for its sync marker before dropping the whole cache instead.
const SYNC_WAIT: Duration = Duration::from_secs(2);
/// Bookkeeping per entry beyond the tile bytes, so that empty tiles count too.
const ENTRY_OVERHEAD: usize = 96;

/// A tile layer: one site kind, or every kind together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileLayer {
    Kind(SiteKind),
    AllSites,
}

impl TileLayer {
    fn draws(self, kind: SiteKind) -> bool {
        match self {
            TileLayer::Kind(k) => k == kind,
            TileLayer::AllSites => true,
        }
    }
}

/// How a tile's geometries are moved for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileShift {
    None,
    /// onto GCJ-02, for a GCJ-02 basemap (one translation per tile)
    Gcj02,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub layer: TileLayer,
    pub z: u32,
    pub x: u32,
    pub y: u32,
    pub shift: TileShift,
}

impl TileKey {
    /// Web Mercator metres the tile's geometries are moved by.
    pub fn shift_metres(&self) -> (f64, f64) {
        match self.shift {
            TileShift::None => (0.0, 0.0),
            TileShift::Gcj02 => tile::gcj02_shift(self.z, self.x, self.y),
        }
    }

    /// The lon/lat area whose features this tile draws, render buffer included.
    fn drawn_area(&self, buffer_fraction: f64) -> LonLatBox {
        tile::drawn_area(self.z, self.x, self.y, buffer_fraction, self.shift_metres())
    }
}

/// A rendered tile: `None` bytes for a tile with no features.
#[derive(Debug)]
pub struct RenderedTile {
    pub mvt: Option<Bytes>,
    pub gzip: Option<Bytes>,
    pub etag: String,
}

impl RenderedTile {
    fn weight(&self) -> usize {
        ENTRY_OVERHEAD
            + self.mvt.as_ref().map_or(0, Bytes::len)
            + self.gzip.as_ref().map_or(0, Bytes::len)
    }
}

/// A lon/lat box of a changed site, with its kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirtyBox {
    pub kind: SiteKind,
    pub area: LonLatBox,
}

/// A render in progress, joined by requests for the same tile in the same generation.
struct Flight {
    generation: u64,
    tile: Arc<OnceCell<Arc<RenderedTile>>>,
}

struct Entries {
    tiles: LruCache<TileKey, Arc<RenderedTile>>,
    bytes: usize,
}

pub struct TileCache {
    capacity_bytes: usize,
    /// Fraction of a tile's width drawn beyond each edge (the MVT buffer over the extent).
    buffer_fraction: f64,
    entries: Mutex<Entries>,
    generation: AtomicU64,
    listening: AtomicBool,
    next_marker: AtomicU64,
    waiting_writers: Mutex<HashMap<u64, oneshot::Sender<()>>>,
    in_flight: Mutex<HashMap<TileKey, Flight>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // a panic while holding the lock cannot leave the map half-updated in a harmful way; the
    // worst case is a stale byte count, so keep serving
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TileCache {
    /// A cache holding at most `capacity_bytes` of tiles; 0 disables caching.
    pub fn new(capacity_bytes: usize, buffer_fraction: f64) -> Self {
        TileCache {
            capacity_bytes,
            buffer_fraction,
            entries: Mutex::new(Entries {
                tiles: LruCache::unbounded(),
                bytes: 0,
            }),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            next_marker: AtomicU64::new(0),
            waiting_writers: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Whether tiles are cached now: a capacity, and a connected listener.
    pub fn is_active(&self) -> bool {
        self.capacity_bytes > 0 && self.listening.load(Ordering::Acquire)
    }

    /// Read before rendering; pass to `insert` afterwards.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self, key: &TileKey) -> Option<Arc<RenderedTile>> {
        if !self.is_active() {
            return None;
        }
        lock(&self.entries).tiles.get(key).cloned()
    }

    /// The cached tile, or one rendered now. Concurrent requests for a tile that is not cached
    /// share one render, unless an eviction came between them: a request after a write never
    /// joins a render that may have started before it.
    pub async fn get_or_render<F, Fut, E>(
        &self,
        key: TileKey,
        render: F,
    ) -> Result<Arc<RenderedTile>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<RenderedTile, E>>,
    {
        if !self.is_active() {
            return render().await.map(Arc::new);
        }
        if let Some(tile) = self.get(&key) {
            return Ok(tile);
        }
        let generation = self.generation();
        let flight = {
            let mut flights = lock(&self.in_flight);
            match flights.get(&key) {
                Some(flight) if flight.generation == generation => flight.tile.clone(),
                _ => {
                    let tile = Arc::new(OnceCell::new());
                    flights.insert(
                        key,
                        Flight {
                            generation,
                            tile: tile.clone(),
                        },
                    );
                    tile
                }
            }
        };
        let rendered = flight
            .get_or_try_init(|| async {
                let tile = Arc::new(render().await?);
                self.insert(key, tile.clone(), generation);
                Ok(tile)
            })
            .await
            .cloned();
        let mut flights = lock(&self.in_flight);
        if flights
            .get(&key)
            .is_some_and(|f| Arc::ptr_eq(&f.tile, &flight))
        {
            flights.remove(&key);
        }
        rendered
    }

    /// Stores a tile rendered since `generation` was read, unless an eviction came in between.
    pub fn insert(&self, key: TileKey, tile: Arc<RenderedTile>, generation: u64) {
        let weight = tile.weight();
        if !self.is_active() || weight > self.capacity_bytes {
            return;
        }
        let mut entries = lock(&self.entries);
        // checked under the lock: evictions bump the generation while holding it
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if let Some(old) = entries.tiles.put(key, tile) {
            entries.bytes -= old.weight();
        }
        entries.bytes += weight;
        while entries.bytes > self.capacity_bytes {
            match entries.tiles.pop_lru() {
                Some((_, evicted)) => entries.bytes -= evicted.weight(),
                None => break,
            }
        }
    }

    /// (number of tiles, bytes) held now.
    pub fn usage(&self) -> (usize, usize) {
        let entries = lock(&self.entries);
        (entries.tiles.len(), entries.bytes)
    }

    pub fn clear(&self) {
        let mut entries = lock(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.tiles.clear();
        entries.bytes = 0;
    }

    /// Drops every cached tile that draws one of these boxes; returns how many were dropped.
    pub fn evict(&self, boxes: &[DirtyBox]) -> usize {
        let mut entries = lock(&self.entries);
        self.generation.fetch_add(1, Ordering::AcqRel);
        let doomed: Vec<TileKey> = entries
            .tiles
            .iter()
            .map(|(key, _)| *key)
            .filter(|key| {
                let area = key.drawn_area(self.buffer_fraction);
                boxes
                    .iter()
                    .any(|b| key.layer.draws(b.kind) && area.meets(&b.area))
            })
            .collect();
        for key in &doomed {
            if let Some(tile) = entries.tiles.pop(key) {
                entries.bytes -= tile.weight();
            }
        }
        doomed.len()
    }

    /// Returns once every tile change committed before this call has been evicted. Call after a
    /// write commits; a no-op while the cache is inactive.
    pub async fn sync(&self, pool: &PgPool) {
        if !self.is_active() {
            return;
        }
        let marker = self.next_marker.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        lock(&self.waiting_writers).insert(marker, sender);
        let sent = tile_events::send_sync_marker(pool, marker).await;
        let arrived = sent.is_ok()
            && tokio::time::timeout(SYNC_WAIT, receiver)
                .await
                .is_ok_and(|r| r.is_ok());
        if !arrived {
            lock(&self.waiting_writers).remove(&marker);
            tracing::warn!("tile cache sync marker did not come back; dropping the whole cache");
            self.clear();
        }
    }

    fn marker_arrived(&self, payload: &str) {
        let waiting = payload
            .parse::<u64>()
            .ok()
            .and_then(|marker| lock(&self.waiting_writers).remove(&marker));
        if let Some(sender) = waiting {
            let _ = sender.send(());
        }
    }

    fn set_listening(&self, listening: bool) {
        // whatever happened while not listening is unknown: start empty either way
        self.clear();
        self.listening.store(listening, Ordering::Release);
    }
}

#[derive(Deserialize)]
struct WireBox(String, f64, f64, f64, f64);

/// Reads a `tile_dirty` payload; `None` when it cannot be understood.
fn parse_dirty(payload: &str) -> Option<Vec<DirtyBox>> {
    let wire: Vec<WireBox> = serde_json::from_str(payload).ok()?;
    wire.into_iter()
        .map(|WireBox(kind, min_lon, min_lat, max_lon, max_lat)| {
            Some(DirtyBox {
                kind: kind.parse().ok()?,
                area: LonLatBox {
                    min_lon,
                    min_lat,
                    max_lon,
                    max_lat,
                },
            })
        })
        .collect()
}

/// Keeps the cache in step with the database for as long as the process runs, reconnecting
/// after a lost connection (the cache starts empty again each time).
pub fn spawn_listener(pool: PgPool, cache: Arc<TileCache>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut retry = Duration::from_millis(200);
        loop {
            match listen(&pool, &cache).await {
                Ok(()) => retry = Duration::from_millis(200),
                Err(e) => {
                    tracing::warn!("tile cache listener: {e}; retrying in {retry:?}");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(Duration::from_secs(5));
                }
            }
        }
    })
}

async fn listen(pool: &PgPool, cache: &TileCache) -> sqlx::Result<()> {
    let mut events = TileEvents::connect(pool).await?;
    cache.set_listening(true);
    let outcome = loop {
        match events.next().await {
            Ok(Some(TileEvent::Sync(marker))) => cache.marker_arrived(&marker),
            Ok(Some(TileEvent::Dirty(payload))) => match parse_dirty(&payload) {
                Some(boxes) => {
                    cache.evict(&boxes);
                }
                None => {
                    tracing::warn!("unreadable tile_dirty payload; dropping the whole cache");
                    cache.clear();
                }
            },
            // the connection was lost: notifications may have been missed
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    cache.set_listening(false);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(layer: TileLayer, z: u32, x: u32, y: u32) -> TileKey {
        TileKey {
            layer,
            z,
            x,
            y,
            shift: TileShift::None,
        }
    }

    fn dirty(kind: SiteKind, min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> DirtyBox {
        DirtyBox {
            kind,
            area: LonLatBox {
                min_lon,
                min_lat,
                max_lon,
                max_lat,
            },
        }
    }

    fn tile(len: usize) -> Arc<RenderedTile> {
        Arc::new(RenderedTile {
            mvt: Some(Bytes::from(vec![0u8; len])),
            gzip: None,
            etag: "\"t\"".into(),
        })
    }

    fn active_cache(capacity: usize) -> TileCache {
        let cache = TileCache::new(capacity, 64.0 / 4096.0);
        cache.listening.store(true, Ordering::Release);
        cache
    }

    #[test]
    fn evicts_only_tiles_meeting_the_box_in_layers_that_draw_the_kind() {
        let cache = active_cache(1 << 20);
        let river = TileLayer::Kind(SiteKind::River);
        let plots = TileLayer::Kind(SiteKind::ContaminatedPlot);
        for layer in [river, plots, TileLayer::AllSites] {
            cache.insert(key(layer, 11, 1706, 833), tile(10), cache.generation());
            cache.insert(key(layer, 11, 1700, 833), tile(10), cache.generation());
            cache.insert(key(layer, 0, 0, 0), tile(10), cache.generation());
        }
        let river_box = dirty(SiteKind::River, 119.95, 31.78, 119.951, 31.781);
        assert_eq!(cache.evict(&[river_box]), 4);
        assert!(cache.get(&key(river, 11, 1706, 833)).is_none());
        assert!(cache.get(&key(river, 0, 0, 0)).is_none());
        assert!(
            cache
                .get(&key(TileLayer::AllSites, 11, 1706, 833))
                .is_none()
        );
        assert!(cache.get(&key(river, 11, 1700, 833)).is_some());
        assert!(cache.get(&key(plots, 11, 1706, 833)).is_some());
        assert_eq!(cache.usage().0, 5);
    }

    #[test]
    fn the_buffer_reaches_into_the_neighbouring_tile() {
        let cache = active_cache(1 << 20);
        let layer = TileLayer::AllSites;
        cache.insert(key(layer, 11, 1705, 833), tile(1), cache.generation());
        let east_edge = tile::drawn_area(11, 1705, 833, 0.0, (0.0, 0.0)).max_lon;
        let just_over = dirty(
            SiteKind::Outfall,
            east_edge + 0.0005,
            31.78,
            east_edge + 0.0005,
            31.78,
        );
        // a tile is 0.1758° wide at z11; its 1/64 buffer reaches 0.0027° beyond the edge
        assert_eq!(cache.evict(&[just_over]), 1);
    }

    #[test]
    fn a_gcj02_tile_is_evicted_by_the_sites_it_draws_after_the_shift() {
        let cache = active_cache(1 << 20);
        let shifted = TileKey {
            shift: TileShift::Gcj02,
            ..key(TileLayer::AllSites, 17, 109_197, 53_317)
        };
        cache.insert(shifted, tile(1), cache.generation());
        let plain = key(TileLayer::AllSites, 17, 109_197, 53_317);
        cache.insert(plain, tile(1), cache.generation());
        // a site just west of the plain tile, inside the area the shifted tile draws
        let area = shifted.drawn_area(0.0);
        let west = tile::drawn_area(17, 109_197, 53_317, 0.0, (0.0, 0.0)).min_lon;
        assert!(area.min_lon < west - 0.001, "{area:?}");
        let lat = (area.min_lat + area.max_lat) / 2.0;
        let site = dirty(SiteKind::Outfall, west - 0.003, lat, west - 0.003, lat);
        assert_eq!(cache.evict(&[site]), 1);
        assert!(cache.get(&shifted).is_none());
        assert!(cache.get(&plain).is_some());
    }

    #[test]
    fn a_render_that_raced_an_eviction_is_not_stored() {
        let cache = active_cache(1 << 20);
        let before = cache.generation();
        cache.evict(&[]);
        cache.insert(key(TileLayer::AllSites, 1, 1, 1), tile(1), before);
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn stays_within_its_byte_bound_dropping_the_least_recently_used() {
        let cache = active_cache(3 * (ENTRY_OVERHEAD + 100));
        let layer = TileLayer::AllSites;
        for x in 0..3 {
            cache.insert(key(layer, 2, x, 0), tile(100), cache.generation());
        }
        assert!(cache.get(&key(layer, 2, 0, 0)).is_some());
        cache.insert(key(layer, 2, 3, 0), tile(100), cache.generation());
        assert_eq!(cache.usage(), (3, 3 * (ENTRY_OVERHEAD + 100)));
        assert!(cache.get(&key(layer, 2, 1, 0)).is_none());
        assert!(cache.get(&key(layer, 2, 0, 0)).is_some());
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_render_but_not_across_an_eviction() {
        let cache = active_cache(1 << 20);
        let renders = std::sync::atomic::AtomicUsize::new(0);
        let key = key(TileLayer::AllSites, 3, 1, 1);
        let render = || async {
            renders.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, ()>(RenderedTile {
                mvt: None,
                gzip: None,
                etag: String::new(),
            })
        };
        let (a, b) = tokio::join!(
            cache.get_or_render(key, render),
            cache.get_or_render(key, render)
        );
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        cache.get_or_render(key, render).await.unwrap();
        assert_eq!(renders.load(Ordering::SeqCst), 1, "served from the cache");
        cache.evict(&[dirty(SiteKind::River, -100.0, 70.0, -99.0, 71.0)]);
        cache.get_or_render(key, render).await.unwrap();
        assert_eq!(
            renders.load(Ordering::SeqCst),
            2,
            "rendered again after the eviction"
        );
    }

    #[test]
    fn nothing_is_cached_while_not_listening() {
        let cache = TileCache::new(1 << 20, 0.0);
        cache.insert(
            key(TileLayer::AllSites, 0, 0, 0),
            tile(1),
            cache.generation(),
        );
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn reads_the_notification_payload() {
        let boxes = parse_dirty(r#"[["river",119.9,31.7,120.0,31.8]]"#);
        assert_eq!(
            boxes,
            Some(vec![dirty(SiteKind::River, 119.9, 31.7, 120.0, 31.8)])
        );
        assert_eq!(parse_dirty(r#"[["lake",1,2,3,4]]"#), None);
    }
}
