package scheduler

import (
	"context"

	"github.com/riverqueue/river"
)

func workFunc[T river.JobArgs]() river.Worker[T] {
	return river.WorkFunc(func(context.Context, *river.Job[T]) error { return nil })
}
