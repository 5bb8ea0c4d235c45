// Temporary: src/app and src/bot still import the clock from here; the clock now lives in src/shared.
export * from '../shared/clock';
