/*
 * The PCI driver model: drivers register an id table and probe/remove;
 * registration matches the table against the enumerated functions and
 * probes each match that has no driver yet.
 *
 * pci_bus_mutex (a sleeping lock) protects the driver list and every
 * dev->driver; probes and removes run with it held, in task context, so
 * they may sleep (a controller reset takes milliseconds) but must not
 * register or unregister drivers. Drivers register at device_initcall,
 * when the boot task runs with interrupts on.
 *
 * Host-compilable (the mutex is a single-threaded stand-in there).
 */
#include "internal.h"
#include <pagoda/mutex.h>
#include <pagoda/printk.h>
#include <pagoda/sched.h>

static DEFINE_MUTEX(pci_bus_mutex);
static LIST_HEAD(pci_drivers);

static bool pci_id_field_matches(u32 want, u32 have)
{
	return want == PCI_ANY_ID || want == have;
}

/* Is @id the table's terminating all-zero entry? */
static bool pci_id_is_end(const struct pci_device_id *id)
{
	return !id->vendor && !id->device && !id->subvendor && !id->subdevice &&
	       !id->class_mask;
}

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids,
					 const struct pci_dev *dev)
{
	if (!ids)
		return NULL;
	for (; !pci_id_is_end(ids); ids++) {
		if (pci_id_field_matches(ids->vendor, dev->vendor) &&
		    pci_id_field_matches(ids->device, dev->device) &&
		    pci_id_field_matches(ids->subvendor, dev->subsystem_vendor) &&
		    pci_id_field_matches(ids->subdevice, dev->subsystem_device) &&
		    !((ids->class ^ dev->class) & ids->class_mask))
			return ids;
	}
	return NULL;
}

/*
 * Offer @dev to @drv: probe it if the table matches and nothing is bound.
 * True when @drv bound. pci_bus_mutex held.
 */
static bool pci_try_probe_locked(struct pci_driver *drv, struct pci_dev *dev)
{
	const struct pci_device_id *id;
	int err;

	if (dev->driver || dev->broken)
		return false;
	id = pci_match_id(drv->id_table, dev);
	if (!id)
		return false;
	dev->driver = drv;
	err = drv->probe(dev, id);
	if (err) {
		dev->driver = NULL;
		dev->driver_data = NULL;
		pci_dev_log(dev, "probe of %s failed with error %d\n", drv->name, err);
		return false;
	}
	pci_dev_log(dev, "bound to %s\n", drv->name);
	return true;
}

int pci_register_driver(struct pci_driver *drv)
{
	struct pci_dev *dev;
	int bound = 0;

	might_sleep();
	mutex_lock(&pci_bus_mutex);
	list_add_tail(&drv->node, &pci_drivers);
	for_each_pci_dev(dev)
		bound += pci_try_probe_locked(drv, dev);
	mutex_unlock(&pci_bus_mutex);
	return bound;
}

void pci_unregister_driver(struct pci_driver *drv)
{
	struct pci_dev *dev;

	might_sleep();
	mutex_lock(&pci_bus_mutex);
	for_each_pci_dev(dev) {
		if (dev->driver != drv)
			continue;
		if (drv->remove)
			drv->remove(dev);
		dev->driver = NULL;
		dev->driver_data = NULL;
	}
	list_del(&drv->node);
	mutex_unlock(&pci_bus_mutex);
}

void pci_drivers_reset(void)
{
	mutex_lock(&pci_bus_mutex);
	list_init(&pci_drivers);
	mutex_unlock(&pci_bus_mutex);
}
