package actions

import "strings"

// MaskPhone masks a phone number for display, keeping the country code and
// the last four digits in two groups: "+49 151 2345 1234" becomes
// "+49 *** *** 12 34". A number without a leading "+" country code loses
// it ("*** *** 12 34"); a number with fewer than four digits is all masked.
func MaskPhone(phone string) string {
	phone = strings.TrimSpace(phone)
	var country string
	rest := phone
	if strings.HasPrefix(phone, "+") {
		var found bool
		country, rest, found = strings.Cut(phone, " ")
		if !found || len(country) < 2 || strings.Trim(country[1:], "0123456789") != "" {
			// No separate country group: we cannot tell where it ends.
			country, rest = "", phone
		}
	}
	var digits []byte
	for i := 0; i < len(rest); i++ {
		if rest[i] >= '0' && rest[i] <= '9' {
			digits = append(digits, rest[i])
		}
	}
	if len(digits) < 4 {
		return "***"
	}
	tail := digits[len(digits)-4:]
	masked := "*** *** " + string(tail[:2]) + " " + string(tail[2:])
	if country != "" {
		return country + " " + masked
	}
	return masked
}
