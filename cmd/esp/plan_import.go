package main

import (
	"context"
	"errors"
)

func cmdPlanImport(ctx context.Context, e env, args []string) error {
	return errors.New("plan import: not available yet")
}
