package app

import (
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
)

// ownRegion is the region a node places its region-wide NATS state in —
// the object store and the abuse-limit counters — when its number plan has
// more than one region; "" with one, where that state keeps its one
// bucket and stream. The regions share one JetStream domain, so one bucket
// or stream would be one for all of them: placed in a single region's
// cluster, a round trip away from the others and out of their reach
// during a partition.
func ownRegion(cfg config.Config) string {
	plan, err := directory.ParseNumberPlan(cfg.Region, cfg.NumberBlocks, cfg.NumberBlockStart)
	if err != nil || len(plan.Regions()) < 2 {
		return ""
	}
	return plan.Region
}

// blobsConfigOf is the object store of a node: the one bucket with one
// region; with more, the region's own bucket, placed in its own NATS
// cluster — one shared bucket would also be swept of the files whose rows
// are in another region's database (SweepMessages) by every node that
// starts.
func blobsConfigOf(cfg config.Config, replicas int) blob.ObjectsConfig {
	out := blob.ObjectsConfig{Replicas: replicas}
	if region := ownRegion(cfg); region != "" {
		out.Bucket, out.Cluster = blob.DefaultBucket+"-"+region, region
	}
	return out
}
