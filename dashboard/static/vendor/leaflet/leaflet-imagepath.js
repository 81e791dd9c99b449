L.Icon.Default.imagePath = new URL("images/", document.currentScript.src).href;
