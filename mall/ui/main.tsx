// The mall (/): a downtown skyline of stores, their departments and products.

import { render } from 'preact';
import '../../backend/web/ui/theme.css';
import './mall.css';
import { App } from './App';

render(<App />, document.getElementById('app')!);
