// The compiled addon; drivers/libvirt/virt.ts gives it types.
module.exports = require('./build/Release/stratus_virt.node');
