//! The database side of the tile cache's freshness: the `tile_dirty` notifications the triggers
//! of migration 0003 send with the boxes of changed sites, and the `tile_sync` markers a writer
//! sends after its commit to learn when the listener has read everything before it.

use sqlx::PgPool;
use sqlx::postgres::PgListener;

const DIRTY_CHANNEL: &str = "tile_dirty";
const SYNC_CHANNEL: &str = "tile_sync";

/// One notification, as the tile cache reads it.
pub enum TileEvent {
    /// the payload of a `tile_dirty` notification: a JSON list of [kind, min_lon, min_lat,
    /// max_lon, max_lat]
    Dirty(String),
    /// a writer's sync marker coming back
    Sync(String),
}

/// A connection listening on both channels.
pub struct TileEvents(PgListener);

impl TileEvents {
    pub async fn connect(pool: &PgPool) -> sqlx::Result<Self> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.ignore_pool_close_event(true);
        listener.listen_all([DIRTY_CHANNEL, SYNC_CHANNEL]).await?;
        Ok(TileEvents(listener))
    }

    /// The next notification; `None` when the connection was lost (notifications may have been
    /// missed in between).
    pub async fn next(&mut self) -> sqlx::Result<Option<TileEvent>> {
        Ok(self.0.try_recv().await?.map(|n| {
            let payload = n.payload().to_string();
            if n.channel() == SYNC_CHANNEL {
                TileEvent::Sync(payload)
            } else {
                TileEvent::Dirty(payload)
            }
        }))
    }
}

/// Sends a sync marker; it arrives after every notification committed before it.
pub async fn send_sync_marker(pool: &PgPool, marker: u64) -> sqlx::Result<()> {
    sqlx::query!("SELECT pg_notify($1, $2)", SYNC_CHANNEL, marker.to_string())
        .fetch_one(pool)
        .await?;
    Ok(())
}
