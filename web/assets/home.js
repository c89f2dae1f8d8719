// The home page: only the language switch.
import { start } from './i18n.js';

start();
document.body.dataset.ready = 'true';
