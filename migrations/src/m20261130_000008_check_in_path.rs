//! The path of a check-in, made short enough for a busy place.
//!
//! **Popularity is folded in, not bumped.** A check-in no longer updates its place's row:
//! `places.popularity` is indexed (for `orderBy: POPULARITY`) along with the place's name,
//! point and text, so every update of a busy place wrote a new version of the row into
//! each of those indexes, and concurrent check-ins there queued on its lock. Check-ins
//! move only the place's counters (`place_stats`); the scheduler folds the counts into
//! `popularity` every few seconds. `counted_check_ins` says how many check-ins the
//! popularity holds already, so each fold adds only what is new (and takes away what an
//! erased account's recount removed); `popularity - counted_check_ins` is the place's own
//! standing, which no fold changes.
//!
//! **A check-in is one round trip on PostgreSQL.** A check-in takes the person's lock,
//! reads the rules (an earlier request with the same idempotency key, the last check-in at
//! the place, the check-ins of the last day), then writes the row and the counters. Sent
//! statement by statement, that is six round trips, and the counters of a busy place stay
//! locked while the server reads each answer and sends the next statement.
//! `capitole_check_in` runs the same steps inside PostgreSQL, in one statement: every step
//! still sees what concurrent check-ins committed before it (a PL/pgSQL function takes a
//! fresh snapshot per statement under READ COMMITTED), and the counters stay locked only
//! from their update to the commit.
//!
//! The rules' figures (the cooldown, the daily limit) are arguments: the Rust code that
//! calls the function stays their one source. SQLite runs the same steps in a transaction
//! from the application (its writers are serialised anyway) and needs no function.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::run_script;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE: &str = r#"
CREATE FUNCTION capitole_check_in(
    p_id UUID,
    p_user UUID,
    p_place UUID,
    p_at TIMESTAMPTZ,
    p_message TEXT,
    p_key TEXT,
    p_cooldown_from TIMESTAMPTZ,
    p_day_from TIMESTAMPTZ,
    p_per_day BIGINT
) RETURNS TABLE (
    outcome TEXT,
    earlier_id UUID,
    earlier_place UUID,
    earlier_at TIMESTAMPTZ,
    earlier_message TEXT
) LANGUAGE plpgsql VOLATILE AS $function$
DECLARE
    last_here TIMESTAMPTZ;
    today BIGINT;
BEGIN
    -- One person's check-ins, one at a time.
    PERFORM 1 FROM users u WHERE u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        outcome := 'unknown_user';
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM 1 FROM places p WHERE p.id = p_place;
    IF NOT FOUND THEN
        outcome := 'unknown_place';
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT c.id, c.place_id, c.created_at, c.message
            INTO earlier_id, earlier_place, earlier_at, earlier_message
            FROM check_ins c WHERE c.user_id = p_user AND c.idempotency_key = p_key;
        IF FOUND THEN
            outcome := 'replayed';
            RETURN NEXT;
            RETURN;
        END IF;
    END IF;
    SELECT MAX(c.created_at) INTO last_here
        FROM check_ins c WHERE c.user_id = p_user AND c.place_id = p_place;
    IF last_here > p_cooldown_from THEN
        outcome := 'too_soon';
        earlier_at := last_here;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT COUNT(*) INTO today
        FROM check_ins c WHERE c.user_id = p_user AND c.created_at >= p_day_from;
    IF today >= p_per_day THEN
        outcome := 'daily_limit';
        RETURN NEXT;
        RETURN;
    END IF;
    INSERT INTO check_ins (id, user_id, place_id, created_at, message, idempotency_key)
        VALUES (p_id, p_user, p_place, p_at, p_message, p_key);
    INSERT INTO place_stats AS s (place_id, check_ins, visitors, tips, likes, dislikes)
        VALUES (p_place, 1, CASE WHEN last_here IS NULL THEN 1 ELSE 0 END, 0, 0, 0)
        ON CONFLICT ON CONSTRAINT place_stats_pkey DO UPDATE
        SET check_ins = s.check_ins + 1, visitors = s.visitors + excluded.visitors;
    outcome := 'created';
    RETURN NEXT;
END
$function$
"#;

// Until now every check-in was added to its place's popularity as it happened.
const COUNTED_UP: &str = r#"
ALTER TABLE places ADD COLUMN counted_check_ins BIGINT NOT NULL DEFAULT 0;
UPDATE places SET counted_check_ins = (SELECT s.check_ins FROM place_stats s WHERE s.place_id = places.id)
    WHERE id IN (SELECT place_id FROM place_stats)
"#;

const COUNTED_DOWN: &str = "ALTER TABLE places DROP COLUMN counted_check_ins";

const DROP: &str = "DROP FUNCTION capitole_check_in(UUID, UUID, UUID, TIMESTAMPTZ, TEXT, TEXT, TIMESTAMPTZ, TIMESTAMPTZ, BIGINT)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_script(manager, COUNTED_UP).await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            // One statement: its body holds `;`, which `run_script` would split on.
            manager
                .get_connection()
                .execute_unprepared(CREATE.trim())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared(DROP).await?;
        }
        run_script(manager, COUNTED_DOWN).await
    }
}
