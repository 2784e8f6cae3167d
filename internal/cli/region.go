package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/tetherflow/tether/engine"
	"github.com/tetherflow/tether/policy"
)

// regionalFlow replaces *fl with the flow under country's regional policy
// (overlays in regionsDir, by default regions/ next to the flow file). It
// describes the region and the files its values come from, for the
// transcript's header, and returns the region's name.
func regionalFlow(fl **engine.Flow, path, regionsDir, country string) (string, string, error) {
	defaulted := regionsDir == ""
	if defaulted {
		regionsDir = filepath.Join(filepath.Dir(path), "regions")
	}
	set, err := policy.Load(regionsDir)
	switch {
	case defaulted && errors.Is(err, fs.ErrNotExist):
		// A flow with no regions/ beside it has only its defaults, as
		// tether policy sees it.
		set, err = &policy.Set{}, nil
	case err != nil:
		return "", "", err
	}
	flows := map[string]*engine.Flow{(*fl).Name(): *fl}
	for name, sub := range (*fl).Subflows() {
		flows[name] = sub
	}
	if err := set.Check(flows); err != nil {
		return "", "", err
	}
	eff, region, err := set.Effective(*fl, country)
	if err != nil {
		if errors.Is(err, policy.ErrCountry) {
			return "", "", usagef("--region: %v", err)
		}
		return "", "", err
	}
	*fl = eff
	files := region.Files()
	if len(files) == 0 {
		return fmt.Sprintf("%s for %s (flow defaults: %s)", region.Name, country, path), region.Name, nil
	}
	return fmt.Sprintf("%s for %s (policy: %s over %s)", region.Name, country, strings.Join(files, ", "), path), region.Name, nil
}
