package host

import (
	"context"
	"errors"
	"fmt"
)

// ErrDeviceKey is wrapped by Start's error when the device the session is
// for has a key (Config.DeviceKeys) and the request does not present it.
var ErrDeviceKey = errors.New("the device key is missing or wrong")

// DeviceKeys guards the devices a host starts sessions for: a session of
// a device that has a key must present it, so that knowing a device's id
// opens nothing of its saved connection. The store of the keys must be
// the one every host sharing the sessions reads.
type DeviceKeys interface {
	// Open admits a session of device that presents key. For a device
	// with a key it returns an error wrapping ErrDeviceKey unless key is
	// that key. For a device without one it makes one and returns it in
	// the claim: the session that claimed the device is the only one
	// told its key.
	Open(ctx context.Context, device, key string) (DeviceClaim, error)
	// Release withdraws the key Open made for device when the session
	// that claimed it failed to start, so that the next session claims
	// the device again. A key that is no longer the device's is left.
	Release(ctx context.Context, device, key string) error
}

// DeviceClaim is what DeviceKeys.Open said of a device.
type DeviceClaim struct {
	// Key is the key Open made for a device that had none; "" when the
	// device had one.
	Key string
	// Adopted is set when the device had saved records but no key (it
	// was made before devices had keys): the claim took it over.
	Adopted bool
}

// openDevice admits a session of req's device; a host without
// Config.DeviceKeys admits every one.
func (h *Host) openDevice(ctx context.Context, req StartRequest) (DeviceClaim, error) {
	if h.cfg.DeviceKeys == nil {
		return DeviceClaim{}, nil
	}
	c, err := h.cfg.DeviceKeys.Open(ctx, req.Device, req.DeviceKey)
	if err != nil {
		return DeviceClaim{}, fmt.Errorf("start %s for device %s: %w", req.Flow, req.Device, err)
	}
	return c, nil
}

// releaseDevice withdraws claim c when its session did not start: err is
// why, joined with why the release failed, if it did.
func (h *Host) releaseDevice(ctx context.Context, req StartRequest, c DeviceClaim, err error) error {
	if c.Key == "" {
		return err
	}
	if rerr := h.cfg.DeviceKeys.Release(context.WithoutCancel(ctx), req.Device, c.Key); rerr != nil {
		return errors.Join(err, fmt.Errorf("withdraw the key of device %s: %w", req.Device, rerr))
	}
	return err
}
