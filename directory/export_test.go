package directory

import "context"

// ResolveToDial exposes resolveToDial to the package's external tests.
func (s *Service) ResolveToDial(ctx context.Context, num Number) (*Resolution, error) {
	return s.resolveToDial(ctx, num)
}
