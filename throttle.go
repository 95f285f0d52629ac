package iterbench

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// A Throttle is asked by Run before every batch how long to pause, and why
// (0: not at all). What to throttle on differs per application; these are
// the common ones, and any function of this type will do.
type Throttle = func(ctx context.Context) (pause time.Duration, reason string)

// QueryLatency throttles on the application's latency as one query shows
// it: before every batch it runs query on db (a point read the application
// makes, say) and, when it took longer than limit, asks for a pause of
// pause. A query that fails asks for the pause too, with its error as the
// reason.
func QueryLatency(db *gorm.DB, query string, limit, pause time.Duration) Throttle {
	return func(ctx context.Context) (time.Duration, string) {
		start := time.Now()
		err := db.WithContext(ctx).Exec(query).Error
		took := time.Since(start)
		switch {
		case err != nil && ctx.Err() == nil:
			return pause, fmt.Sprintf("latency query failed: %v", err)
		case took > limit:
			return pause, fmt.Sprintf("latency query took %s, over %s", took.Round(time.Millisecond), limit)
		}
		return 0, ""
	}
}

// ReplicaLag throttles on PostgreSQL streaming replicas (db is the
// primary): when the largest replay_lag in pg_stat_replication is over
// limit, it asks for a pause of that lag. gh-ost stops at 1.5 s, pt-archiver
// at 1 s. Without replicas there is no lag.
func ReplicaLag(db *gorm.DB, limit time.Duration) Throttle {
	return func(ctx context.Context) (time.Duration, string) {
		var secs float64
		q := "SELECT COALESCE(EXTRACT(EPOCH FROM MAX(replay_lag)), 0)::float8 FROM pg_stat_replication"
		if err := db.WithContext(ctx).Raw(q).Scan(&secs).Error; err != nil {
			if ctx.Err() != nil {
				return 0, ""
			}
			return time.Second, fmt.Sprintf("replica lag unknown: %v", err)
		}
		if lag := time.Duration(secs * float64(time.Second)); lag > limit {
			return lag, fmt.Sprintf("replica replay lag %s, over %s", lag.Round(time.Millisecond), limit)
		}
		return 0, ""
	}
}

// ThreadsRunning throttles on MariaDB's (and MySQL's) load, as
// pt-online-schema-change's --max-load does: when the server's
// Threads_running is over limit, it asks for a pause of pause.
func ThreadsRunning(db *gorm.DB, limit int, pause time.Duration) Throttle {
	return func(ctx context.Context) (time.Duration, string) {
		var name string
		var running int
		err := db.WithContext(ctx).Raw("SHOW GLOBAL STATUS LIKE 'Threads_running'").Row().Scan(&name, &running)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ""
			}
			return pause, fmt.Sprintf("Threads_running unknown: %v", err)
		}
		if running > limit {
			return pause, fmt.Sprintf("Threads_running %d, over %d", running, limit)
		}
		return 0, ""
	}
}
