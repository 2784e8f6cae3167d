package cli

import (
	"fmt"

	"github.com/tetherflow/tether/engine"
)

// regionalFlow replaces *fl with the flow under country's regional policy
// and describes the region and its sources.
func regionalFlow(fl **engine.Flow, path, regionsDir, country string) (string, error) {
	return "", fmt.Errorf("--region %s: regional policy is not available yet", country)
}
