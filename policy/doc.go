// Package policy loads regional policy overlays (flows/regions/*.yaml),
// checks them, and merges them over a flow's policy defaults.
//
// An overlay names a region, the countries (ISO 3166-1 alpha-2) it covers,
// optionally a parent region it extends, and per-flow policy overrides:
//
//	region: eu
//	countries: [AT, BE, DE]
//	flows:
//	  connect:
//	    data_provisioning_consent: true
//	    region: eu
//
// A country's effective policy is the flow's default, overridden by the
// region's ancestors from the root down, then by the region itself; each
// value keeps the position it was set at. A country in no region gets the
// flow's defaults, region "default".
//
//	set, err := policy.Load("flows/regions")
//	...
//	err = set.Check(map[string]*engine.Flow{"connect": fl})
//	...
//	eff, region, err := set.Effective(fl, "DE")
package policy
