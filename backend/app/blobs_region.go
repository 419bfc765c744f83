package app

import (
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/directory"
)

// blobsConfigOf is the object store of a node: the one bucket with one
// region; with more, the region's own bucket, placed in its own NATS
// cluster. The regions share one JetStream domain, so one bucket would be
// one for all of them: placed in a single region's cluster, out of reach
// of the others during a partition, and swept of the files whose rows
// are in another region's database (SweepMessages) by every node that
// starts.
func blobsConfigOf(cfg config.Config, replicas int) blob.ObjectsConfig {
	out := blob.ObjectsConfig{Replicas: replicas}
	plan, err := directory.ParseNumberPlan(cfg.Region, cfg.NumberBlocks, cfg.NumberBlockStart)
	if err != nil || len(plan.Regions()) < 2 {
		return out
	}
	out.Bucket, out.Cluster = blob.DefaultBucket+"-"+plan.Region, plan.Region
	return out
}
