//! The store's data: what every host call of the component reaches (the WASI context,
//! its resource table) and the memory cap.

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The store's data: the WASI context and the memory limiter.
pub(crate) struct Host {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limits: MemoryCap,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps linear memory and remembers that it refused, so a trap that follows can be
/// reported as what it is. Also tracks the most linear memory the guest held at once.
pub(crate) struct MemoryCap {
    pub limit: usize,
    pub refused: bool,
    /// Bytes of all linear memories now, and the most ever.
    pub total: usize,
    pub peak: usize,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.limit;
        self.refused |= !ok;
        if ok {
            self.total = (self.total + desired).saturating_sub(current);
            self.peak = self.peak.max(self.total);
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A table element costs a pointer; count it against the same cap.
        let ok = desired.saturating_mul(size_of::<usize>()) <= self.limit;
        self.refused |= !ok;
        Ok(ok)
    }
}
