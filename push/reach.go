package push

import "context"

// ReachableAmong returns which of the accounts have at least one device
// subscribed.
func (s *Service) ReachableAmong(ctx context.Context, accountIDs []string) (map[string]bool, error) {
	out := make(map[string]bool, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	var ids []string
	if err := s.db.WithContext(ctx).Model(&subscriptionRow{}).Distinct("account_id").Where("account_id IN ?", accountIDs).Pluck("account_id", &ids).Error; err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// OnReachChanged sets f to run after an account's devices subscribed or
// stopped taking pushes (the directory shows it). Set it before serving.
func (s *Service) OnReachChanged(f func(accountID string)) { s.reachChanged = f }

// changed tells OnReachChanged's function, if any.
func (s *Service) changed(accountID string) {
	if s.reachChanged != nil {
		s.reachChanged(accountID)
	}
}
